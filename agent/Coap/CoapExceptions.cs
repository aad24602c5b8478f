namespace Usp.Agent.Coap;

/// <summary>A CoAP exchange failed; the subclasses say why.</summary>
public class CoapException : Exception
{
    public CoapException(string message) : base(message)
    {
    }

    public CoapException(string message, Exception inner) : base(message, inner)
    {
    }
}

/// <summary>No acknowledgement after MAX_RETRANSMIT retransmissions, or no separate response in time.</summary>
public sealed class CoapTimeoutException(string message) : CoapException(message);

/// <summary>The peer answered our message with a Reset: it does not know or want this exchange.</summary>
public sealed class CoapResetException(string message) : CoapException(message);

/// <summary>The peer's answer broke the protocol (unknown critical option, bad block sequence, body too large).</summary>
public sealed class CoapProtocolException(string message) : CoapException(message);

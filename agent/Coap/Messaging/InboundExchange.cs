namespace Usp.Agent.Coap;

/// <summary>
/// What we answered to one inbound CON/NON message, kept so a duplicate gets the same answer. Its state is read and
/// changed under a lock on the exchange itself (a duplicate, the handler's response and the separate-ACK timer race
/// for it); no other code locks it.
/// </summary>
internal sealed class InboundExchange(TokenKey token)
{
    /// <summary>A retransmission repeats the token; the same message ID with another token is a new message.</summary>
    public TokenKey Token { get; } = token;

    /// <summary>The datagram to resend for a duplicate (piggybacked response or empty ACK); null while still processing.</summary>
    public byte[]? Reply { get; set; }

    /// <summary>The request has been acknowledged (piggybacked or empty ACK); later responses go as separate CON.</summary>
    public bool Acknowledged { get; set; }

    public bool Responded { get; set; }

    public ITimer? SeparateAckTimer { get; set; }

    /// <summary>Stops the separate-ACK timer; call under the exchange's lock.</summary>
    public void CancelSeparateAck()
    {
        SeparateAckTimer?.Dispose();
        SeparateAckTimer = null;
    }
}

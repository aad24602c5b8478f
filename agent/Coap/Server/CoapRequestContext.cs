namespace Usp.Agent.Coap;

/// <summary>What a resource handler sees of a request.</summary>
public sealed class CoapRequestContext
{
    internal CoapRequestContext(CoapMessage message, CoapPeer peer, CoapResource resource, ReadOnlyMemory<byte> payload, IReadOnlyList<string> query)
    {
        Message = message;
        Peer = peer;
        Resource = resource;
        Payload = payload;
        Query = query;
        Method = (CoapMethod)message.Code.Value;
        Path = message.UriPath;
        ContentFormat = message.ContentFormat;
    }

    public CoapMethod Method { get; }

    /// <summary>Who sent the request: address, and the secured session (with its authenticated identity) over DTLS.</summary>
    public CoapPeer Peer { get; }

    public CoapResource Resource { get; }

    /// <summary>The Uri-Path segments joined by '/', without a leading slash.</summary>
    public string Path { get; }

    /// <summary>The Uri-Query options, one "name=value" string each.</summary>
    public IReadOnlyList<string> Query { get; }

    public ushort? ContentFormat { get; }

    /// <summary>The whole request body, reassembled from Block1 transfers.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The request message (the last block of a Block1 transfer).</summary>
    public CoapMessage Message { get; }

    /// <summary>
    /// Runs <paramref name="action"/> once the response to this request has been sent (or could not be), on the
    /// thread that sent it: the receive thread for a handler that completes there (<see cref="CoapEndpointOptions.RunHandlersInline"/>).
    /// It must be short and never block: the next datagram waits for it.
    /// </summary>
    public void RunAfterResponse(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Message.AfterResponse += action;
    }

    /// <summary>The value of the first "name=value" query option; "" for a bare "name"; null when absent.</summary>
    public string? GetQueryParameter(string name)
    {
        foreach (string q in Query)
        {
            int eq = q.IndexOf('=', StringComparison.Ordinal);
            string key = eq < 0 ? q : q[..eq];
            if (key == name)
            {
                return eq < 0 ? string.Empty : q[(eq + 1)..];
            }
        }
        return null;
    }
}

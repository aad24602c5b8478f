using System.Net;

namespace Usp.Agent.Coap;

/// <summary>Handles a complete (reassembled) request to one resource.</summary>
public delegate ValueTask<CoapResponse> CoapResourceHandler(CoapRequestContext request, CancellationToken cancellationToken);

/// <summary>A resource the server dispatches to by Uri-Path, with RFC 6690 link attributes for discovery.</summary>
public sealed class CoapResource
{
    public CoapResource(string path, CoapResourceHandler handler)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(handler);
        Path = NormalizePath(path);
        Handler = handler;
    }

    /// <summary>Segments joined by '/', without leading or trailing slash.</summary>
    public string Path { get; }

    public CoapResourceHandler Handler { get; }

    /// <summary>Link attributes published in /.well-known/core, e.g. rt="bbf.usp.endpoint";if="bbf.usp.a";ct=42.</summary>
    public IReadOnlyList<CoapLinkAttribute> Attributes { get; init; } = [];

    /// <summary>Methods the resource accepts; others get 4.05. Null accepts all.</summary>
    public IReadOnlySet<CoapMethod>? AllowedMethods { get; init; }

    /// <summary>Content-Formats accepted for a request body; another (or none) gets 4.15. Null accepts any.</summary>
    public IReadOnlySet<ushort>? AcceptedContentFormats { get; init; }

    /// <summary>Listed in /.well-known/core unless false.</summary>
    public bool Discoverable { get; init; } = true;

    internal static string NormalizePath(string path) => path.Trim('/');
}

/// <summary>One link attribute (RFC 6690 §3): rendered name="value", or name=value when the value is numeric.</summary>
public readonly record struct CoapLinkAttribute(string Name, string? Value)
{
    internal void AppendTo(System.Text.StringBuilder sb)
    {
        sb.Append(';').Append(Name);
        if (Value is null)
        {
            return;
        }
        bool numeric = Value.Length > 0 && Value.All(char.IsAsciiDigit);
        if (numeric)
        {
            sb.Append('=').Append(Value);
        }
        else
        {
            sb.Append("=\"").Append(Value.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append('"');
        }
    }
}

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

/// <summary>A response: what a resource handler returns, and what <see cref="CoapClient"/> hands back.</summary>
public sealed class CoapResponse
{
    public CoapResponse(CoapCode code, ReadOnlyMemory<byte> payload = default, ushort? contentFormat = null)
    {
        Code = code;
        Payload = payload;
        ContentFormat = contentFormat;
    }

    public CoapCode Code { get; }

    public ReadOnlyMemory<byte> Payload { get; init; }

    public ushort? ContentFormat { get; init; }

    /// <summary>Further options to send (e.g. Location-Path, Max-Age). Content-Format and Block options are set by the stack.</summary>
    public IReadOnlyList<CoapOption> Options { get; init; } = [];

    /// <summary>For a received response: the peer that sent it.</summary>
    public IPEndPoint? Source { get; init; }

    /// <summary>For a received response: the last message of the exchange.</summary>
    public CoapMessage? Message { get; init; }

    public bool IsSuccess => Code.IsSuccess;

    internal CoapMessage ToMessage()
    {
        var message = new CoapMessage { Code = Code, Payload = Payload };
        foreach (var option in Options)
        {
            if (option.Number is not (CoapOptionNumber.ContentFormat or CoapOptionNumber.Block1 or CoapOptionNumber.Block2 or CoapOptionNumber.Size2))
            {
                message.AddOption(option);
            }
        }
        message.ContentFormat = ContentFormat;
        return message;
    }
}

using System.Net;

namespace Usp.Agent.Coap;

/// <summary>A request to send with <see cref="CoapClient"/>; the body may be any size (Block1 is used as needed).</summary>
public sealed class CoapRequest
{
    public CoapRequest(CoapMethod method, IPEndPoint destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        Method = method;
        Destination = destination;
    }

    /// <summary>Builds a request from coap://ip-literal[:port]/path?query (port defaults to 5683).</summary>
    public static CoapRequest FromUri(CoapMethod method, Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri || uri.Scheme != "coap" || !IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address))
        {
            throw new ArgumentException("Expected coap://<ip-address>[:port]/path", nameof(uri));
        }
        var request = new CoapRequest(method, new IPEndPoint(address, uri.IsDefaultPort || uri.Port < 0 ? 5683 : uri.Port));
        request.SetPath(Uri.UnescapeDataString(uri.AbsolutePath));
        if (uri.Query.Length > 1)
        {
            foreach (string part in uri.Query[1..].Split('&'))
            {
                request.UriQuery.Add(Uri.UnescapeDataString(part));
            }
        }
        return request;
    }

    public CoapMethod Method { get; }

    public IPEndPoint Destination { get; }

    /// <summary>CON (default) gets retransmission and acknowledgement; NON is fire-and-wait without reliability.</summary>
    public bool Confirmable { get; set; } = true;

    public List<string> UriPath { get; } = [];

    /// <summary>Uri-Query options, one "name=value" each.</summary>
    public List<string> UriQuery { get; } = [];

    public ushort? ContentFormat { get; set; }

    public ushort? Accept { get; set; }

    public ReadOnlyMemory<byte> Payload { get; set; }

    /// <summary>
    /// The caller's continuation runs on the thread that received the response (the transport's receive thread),
    /// saving a thread-pool wake-up per request. Only for callers whose continuation is short and never blocks:
    /// the receive thread serves every peer of the endpoint.
    /// </summary>
    public bool ContinueOnReceiveThread { get; set; }

    /// <summary>Any further options (e.g. Uri-Host).</summary>
    public List<CoapOption> Options { get; } = [];

    public void SetPath(string path)
    {
        UriPath.Clear();
        UriPath.AddRange(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
    }

    internal CoapMessage ToMessage()
    {
        var message = new CoapMessage
        {
            Type = Confirmable ? CoapMessageType.Confirmable : CoapMessageType.NonConfirmable,
            Code = CoapCode.FromMethod(Method),
        };
        foreach (var option in Options)
        {
            message.AddOption(option);
        }
        foreach (string segment in UriPath)
        {
            message.AddOption(CoapOptionNumber.UriPath, segment);
        }
        foreach (string q in UriQuery)
        {
            message.AddOption(CoapOptionNumber.UriQuery, q);
        }
        message.ContentFormat = ContentFormat;
        if (Accept is { } accept)
        {
            message.SetUIntOption(CoapOptionNumber.Accept, accept);
        }
        return message;
    }
}

using System.Net;
using Usp.Agent.Coap;

namespace Usp.Agent.Mtp;

/// <summary>One UDP port the CoAP MTP listens on: its endpoint (server and, for our POSTs, client) and its resources.</summary>
internal sealed class ServedPort(CoapEndpoint endpoint, CoapServer server)
{
    public CoapEndpoint Endpoint { get; } = endpoint;

    public CoapServer Server { get; } = server;

    public CoapRecordPoster Poster { get; } = new(endpoint);

    public int Port => Endpoint.LocalEndPoint.Port;

    /// <summary>Resource path (no leading slash) → the Device.LocalAgent.MTP.{i}. row it serves.</summary>
    public Dictionary<string, string> Resources { get; } = new(StringComparer.Ordinal);

    /// <summary>The resource's URI, as text: a Uri would load System.Private.Uri into an agent that serves no request yet.</summary>
    public string UriOf(IPAddress bind, string resourcePath)
    {
        string host = bind.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{bind}]" : bind.ToString();
        return $"coap://{host}:{Port}/{resourcePath}";
    }
}

using Usp.Agent.Coap;

namespace Usp.Agent.Mtp.Coap;

/// <summary>
/// One port the CoAP MTP listens on: its transport (plain UDP or DTLS, from a <see cref="ICoapTransportFactory"/>),
/// the CoAP endpoint over it (the server of our resources and the client of our POSTs, from the same port), and
/// the USP Endpoint resources it serves; what arrives goes to <see cref="CoapInboundRecords"/>.
/// </summary>
internal sealed class CoapInboundServer : IAsyncDisposable
{
    public const string LinkResourceType = "bbf.usp.endpoint";
    public const string LinkInterfaceAgent = "bbf.usp.a";

    private readonly LocalAddress _local;
    private readonly CoapInboundRecords _records;

    public CoapInboundServer(ICoapTransport transport, CoapEndpointOptions options, TimeProvider time, LocalAddress local, CoapInboundRecords records)
    {
        _local = local;
        _records = records;
        Endpoint = new CoapEndpoint(transport, options, time);
        Server = new CoapServer(Endpoint);
        Poster = new CoapRecordPoster(Endpoint, transport as ICoapPeerExpectation);
    }

    public CoapEndpoint Endpoint { get; }

    /// <summary>The resources served (the one list of them).</summary>
    public CoapServer Server { get; }

    public CoapRecordPoster Poster { get; }

    public int Port => Endpoint.LocalEndPoint.Port;

    public bool Secure => Endpoint.IsSecure;

    public void Start() => Endpoint.Start();

    /// <summary>Serves a USP Endpoint resource at <paramref name="path"/> (no leading slash); nothing when it already does.</summary>
    public void Serve(string path)
    {
        if (Server.HasResource(path))
        {
            return;
        }

        // Accept only checks and queues the Record (the engine runs on its lane), so it runs on the receive thread
        // (RunHandlersInline): the 2.04 goes out at once, without a thread-pool hop and a separate-ACK timer per request.
        var ours = new OwnReplyTo(_local, Port, path, Secure);
        Server.AddResource(new CoapResource(path, (request, _) => ValueTask.FromResult(_records.Accept(this, ours, request)))
        {
            AllowedMethods = UspCoapRequest.Methods,
            AcceptedContentFormats = UspCoapRequest.ContentFormats,
            Attributes =
            [
                new CoapLinkAttribute("rt", LinkResourceType),
                new CoapLinkAttribute("if", LinkInterfaceAgent),
                new CoapLinkAttribute("ct", "42"),
            ],
        });
    }

    /// <summary>Stops serving every resource not in <paramref name="wanted"/>.</summary>
    public void ServeOnly(IReadOnlySet<string> wanted)
    {
        foreach (CoapResource resource in Server.Resources.ToList())
        {
            if (!wanted.Contains(resource.Path))
            {
                Server.RemoveResource(resource.Path);
            }
        }
    }

    public ValueTask DisposeAsync() => Endpoint.DisposeAsync();
}

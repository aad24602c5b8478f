using System.Net;
using Usp.Agent.Coap;
using Usp.Tests.Support;

namespace Usp.Coap.Tests.Support;

/// <summary>A server endpoint and a client endpoint on an in-memory network with a manual clock.</summary>
internal sealed class CoapTestBed : IAsyncDisposable
{
    private CoapTestBed(Action<CoapEndpointOptions>? configureServer, Action<CoapEndpointOptions>? configureClient)
    {
        ServerOptions = new CoapEndpointOptions { AckRandomFactor = 1.0, RunHandlersInline = true };
        ClientOptions = new CoapEndpointOptions { AckRandomFactor = 1.0, RunHandlersInline = true };
        configureServer?.Invoke(ServerOptions);
        configureClient?.Invoke(ClientOptions);
        ServerEndpoint = new CoapEndpoint(Network.CreateTransport(), ServerOptions, Clock);
        ClientEndpoint = new CoapEndpoint(Network.CreateTransport(), ClientOptions, Clock);
        Server = new CoapServer(ServerEndpoint);
        Client = new CoapClient(ClientEndpoint);
        ServerEndpoint.Start();
        ClientEndpoint.Start();
    }

    public ManualTimeProvider Clock { get; } = new();
    public InMemoryNetwork Network { get; } = new();
    public CoapEndpointOptions ServerOptions { get; }
    public CoapEndpointOptions ClientOptions { get; }
    public CoapEndpoint ServerEndpoint { get; }
    public CoapEndpoint ClientEndpoint { get; }
    public CoapServer Server { get; }
    public CoapClient Client { get; }

    public IPEndPoint ServerAddress => ServerEndpoint.LocalEndPoint;

    public static CoapTestBed Create(Action<CoapEndpointOptions>? configureServer = null, Action<CoapEndpointOptions>? configureClient = null) =>
        new(configureServer, configureClient);

    public CoapRequest Request(CoapMethod method, string path, byte[]? payload = null, ushort? contentFormat = null)
    {
        var request = new CoapRequest(method, ServerAddress) { ContentFormat = contentFormat };
        request.SetPath(path);
        if (payload is not null)
        {
            request.Payload = payload;
        }
        return request;
    }

    public Task<CoapResponse> SendAsync(CoapRequest request, CancellationToken cancellationToken = default) =>
        Drive.UntilDone(Clock, Client.SendAsync(request, cancellationToken));

    /// <summary>A bare transport on the same network that records what it receives: a scripted peer.</summary>
    public RawPeer CreateRawPeer() => new(Network.CreateTransport());

    public async ValueTask DisposeAsync()
    {
        await ClientEndpoint.DisposeAsync();
        await ServerEndpoint.DisposeAsync();
    }
}

internal sealed class RawPeer
{
    private readonly Lock _gate = new();
    private readonly List<CoapMessage> _received = [];

    public RawPeer(InMemoryTransport transport)
    {
        Transport = transport;
        transport.Start((datagram, _) =>
        {
            var copy = datagram.ToArray();
            lock (_gate)
            {
                _received.Add(CoapMessage.TryDecode(copy, out var m) == CoapFormatError.None ? m! : new CoapMessage { Payload = copy });
            }
            OnReceived?.Invoke(copy);
        });
    }

    public InMemoryTransport Transport { get; }

    public Action<byte[]>? OnReceived { get; set; }

    public IPEndPoint Address => Transport.LocalEndPoint;

    public List<CoapMessage> Received
    {
        get
        {
            lock (_gate)
            {
                return [.. _received];
            }
        }
    }

    public void Send(IPEndPoint to, byte[] datagram) => Transport.SendAsync(datagram, new CoapPeer(to), default).AsTask().GetAwaiter().GetResult();

    public void Send(IPEndPoint to, CoapMessage message) => Send(to, message.ToArray());

    public static CoapMessage Request(CoapMessageType type, CoapMethod method, ushort messageId, string path, byte[]? token = null, byte[]? payload = null)
    {
        var message = new CoapMessage
        {
            Type = type,
            Code = CoapCode.FromMethod(method),
            MessageId = messageId,
            Token = token ?? [0x10, 0x20],
            Payload = payload ?? [],
        };
        foreach (string segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            message.AddOption(CoapOptionNumber.UriPath, segment);
        }
        return message;
    }
}

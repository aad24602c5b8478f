using System.Net;
using Usp.Agent.Coap;

namespace Usp.Tests.Support;

/// <summary>
/// Loopback "network" that delivers each datagram synchronously inside SendAsync, so that together with
/// <see cref="ManualTimeProvider"/> a whole exchange runs deterministically on the test thread.
/// </summary>
internal sealed class InMemoryNetwork
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPEndPoint, InMemoryTransport> _transports = [];
    private readonly List<(IPEndPoint From, IPEndPoint To, byte[] Datagram)> _sent = [];
    private int _nextPort = 40000;

    /// <summary>Off for floods, so the log does not grow.</summary>
    public bool RecordSent { get; set; } = true;

    /// <summary>Return false to drop a datagram.</summary>
    public Func<IPEndPoint, IPEndPoint, byte[], bool>? Filter { get; set; }

    /// <param name="session">Makes the transport a secured one (as DTLS would be): every datagram it receives
    /// comes from a peer on this session.</param>
    /// <param name="port">The port to bind (0: the next free one); a port in use throws as a socket would.</param>
    public InMemoryTransport CreateTransport(ICoapSecureSession? session = null, int port = 0)
    {
        lock (_gate)
        {
            var local = new IPEndPoint(IPAddress.Loopback, port == 0 ? _nextPort++ : port);
            if (_transports.ContainsKey(local))
            {
                throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.AddressAlreadyInUse);
            }

            var transport = new InMemoryTransport(this, local, session);
            _transports[transport.LocalEndPoint] = transport;
            return transport;
        }
    }

    /// <summary>Every datagram handed to the network (also the dropped ones), in order.</summary>
    public List<(IPEndPoint From, IPEndPoint To, CoapMessage Message)> Sent()
    {
        lock (_gate)
        {
            var result = new List<(IPEndPoint, IPEndPoint, CoapMessage)>();
            foreach (var (from, to, datagram) in _sent)
            {
                if (CoapMessage.TryDecode(datagram, out var message) == CoapFormatError.None)
                {
                    result.Add((from, to, message!));
                }
            }
            return result;
        }
    }

    public List<(IPEndPoint From, IPEndPoint To, byte[] Datagram)> SentRaw()
    {
        lock (_gate)
        {
            return [.. _sent];
        }
    }

    public void ClearLog()
    {
        lock (_gate)
        {
            _sent.Clear();
        }
    }

    internal void Deliver(IPEndPoint from, IPEndPoint to, ReadOnlyMemory<byte> datagram)
    {
        var copy = datagram.ToArray();
        InMemoryTransport? target;
        lock (_gate)
        {
            if (RecordSent)
            {
                _sent.Add((from, to, copy));
            }
            _transports.TryGetValue(to, out target);
        }
        if (Filter is { } filter && !filter(from, to, copy))
        {
            return;
        }
        target?.Receive(copy, from);
    }

    internal void Remove(InMemoryTransport transport)
    {
        lock (_gate)
        {
            _transports.Remove(transport.LocalEndPoint);
        }
    }
}

internal sealed class InMemoryTransport(InMemoryNetwork network, IPEndPoint localEndPoint, ICoapSecureSession? session = null) : ICoapTransport
{
    private CoapDatagramHandler? _handler;

    public IPEndPoint LocalEndPoint { get; } = localEndPoint;

    public bool IsSecure => session is not null;

    public void Start(CoapDatagramHandler onDatagram) => _handler = onDatagram;

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CoapPeer peer, CancellationToken cancellationToken)
    {
        network.Deliver(LocalEndPoint, peer.EndPoint, datagram);
        return ValueTask.CompletedTask;
    }

    /// <summary>Injects a datagram as if <paramref name="from"/> had sent it (on this transport's session, if secured).</summary>
    public void Receive(byte[] datagram, IPEndPoint from) => _handler?.Invoke(datagram, new CoapPeer(from, session));

    public ValueTask DisposeAsync()
    {
        network.Remove(this);
        return ValueTask.CompletedTask;
    }
}

/// <summary>Wraps a transport and drops a seeded-random share of the datagrams it sends.</summary>
internal sealed class LossyTransport(ICoapTransport inner, double dropRate, int seed) : ICoapTransport
{
    private readonly Random _random = new(seed);
    private readonly Lock _gate = new();

    public int Dropped { get; private set; }

    public IPEndPoint LocalEndPoint => inner.LocalEndPoint;

    public bool IsSecure => inner.IsSecure;

    public void Start(CoapDatagramHandler onDatagram) => inner.Start(onDatagram);

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CoapPeer peer, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_random.NextDouble() < dropRate)
            {
                Dropped++;
                return ValueTask.CompletedTask;
            }
        }
        return inner.SendAsync(datagram, peer, cancellationToken);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}

/// <summary>Binds transports on an <see cref="InMemoryNetwork"/>, plain or (with a session) secured as DTLS would be.</summary>
internal sealed class InMemoryTransportFactory(InMemoryNetwork network, ICoapSecureSession? session = null) : ICoapTransportFactory
{
    public bool IsSecure => session is not null;

    public ICoapTransport Bind(IPEndPoint localEndPoint) => network.CreateTransport(session, localEndPoint.Port);
}

/// <summary>A secured session with a fixed authenticated identity, as a DTLS transport would report it.</summary>
internal sealed class TestSecureSession(string? authenticatedIdentity) : ICoapSecureSession
{
    public string? AuthenticatedIdentity { get; } = authenticatedIdentity;
}

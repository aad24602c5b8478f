using System.Net;
using Usp.Agent.Coap;
using Usp.Agent.Tests.Support;

namespace Usp.Agent.Tests.Coap.Support;

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

    public InMemoryTransport CreateTransport()
    {
        lock (_gate)
        {
            var transport = new InMemoryTransport(this, new IPEndPoint(IPAddress.Loopback, _nextPort++));
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

internal sealed class InMemoryTransport(InMemoryNetwork network, IPEndPoint localEndPoint) : ICoapTransport
{
    private CoapDatagramHandler? _handler;

    public IPEndPoint LocalEndPoint { get; } = localEndPoint;

    public void Start(CoapDatagramHandler onDatagram) => _handler = onDatagram;

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint peer, CancellationToken cancellationToken)
    {
        network.Deliver(LocalEndPoint, peer, datagram);
        return ValueTask.CompletedTask;
    }

    /// <summary>Injects a datagram as if <paramref name="from"/> had sent it.</summary>
    public void Receive(byte[] datagram, IPEndPoint from) => _handler?.Invoke(datagram, from);

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

    public void Start(CoapDatagramHandler onDatagram) => inner.Start(onDatagram);

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint peer, CancellationToken cancellationToken)
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

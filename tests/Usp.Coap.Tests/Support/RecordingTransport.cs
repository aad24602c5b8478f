using System.Collections.Concurrent;
using System.Net;
using Usp.Agent.Coap;

namespace Usp.Coap.Tests.Support;

/// <summary>Wraps a transport and keeps a decoded copy of every datagram sent, to check what went on the wire.</summary>
internal sealed class RecordingTransport(ICoapTransport inner) : ICoapTransport
{
    public ConcurrentQueue<CoapMessage> Sent { get; } = new();

    public IPEndPoint LocalEndPoint => inner.LocalEndPoint;

    public bool IsSecure => inner.IsSecure;

    public void Start(CoapDatagramHandler onDatagram) => inner.Start(onDatagram);

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CoapPeer peer, CancellationToken cancellationToken)
    {
        if (CoapMessage.TryDecode(datagram.ToArray(), out var message) == CoapFormatError.None)
        {
            Sent.Enqueue(message!);
        }
        return inner.SendAsync(datagram, peer, cancellationToken);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}

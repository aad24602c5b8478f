using System.Net;

namespace Usp.Agent.Coap;

/// <summary>
/// Receives one datagram. <paramref name="datagram"/> is only valid during the call.
/// Implementations of <see cref="ICoapTransport"/> call this one datagram at a time.
/// </summary>
public delegate void CoapDatagramHandler(ReadOnlyMemory<byte> datagram, IPEndPoint peer);

/// <summary>
/// Datagrams in and out per peer endpoint. Plain UDP implements it now; a DTLS transport will deliver
/// decrypted records through the same interface.
/// </summary>
public interface ICoapTransport : IAsyncDisposable
{
    /// <summary>The bound address and port (the real port when bound to port 0).</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>Starts delivering received datagrams to <paramref name="onDatagram"/>; called once.</summary>
    void Start(CoapDatagramHandler onDatagram);

    ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint peer, CancellationToken cancellationToken);
}

using System.Net;

namespace Usp.Agent.Coap;

/// <summary>
/// Receives one datagram. <paramref name="datagram"/> is only valid during the call.
/// Implementations of <see cref="ICoapTransport"/> call this one datagram at a time.
/// </summary>
public delegate void CoapDatagramHandler(ReadOnlyMemory<byte> datagram, CoapPeer peer);

/// <summary>
/// Datagrams in and out per peer. Plain UDP (<see cref="UdpCoapTransport"/>) delivers peers without a session; a DTLS
/// transport delivers decrypted records with the peer's <see cref="ICoapSecureSession"/>, and nothing above it changes.
/// </summary>
public interface ICoapTransport : IAsyncDisposable
{
    /// <summary>The bound address and port (the real port when bound to port 0).</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>True when every datagram is encrypted (DTLS): the transport serves coaps.</summary>
    bool IsSecure { get; }

    /// <summary>Starts delivering received datagrams to <paramref name="onDatagram"/>; called once.</summary>
    void Start(CoapDatagramHandler onDatagram);

    /// <summary>
    /// Sends one datagram to <paramref name="peer"/>: to its session when it has one, else (a request we start) to its
    /// address, over a session the transport opens when it is secured.
    /// </summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CoapPeer peer, CancellationToken cancellationToken);
}

/// <summary>
/// Makes the transports an MTP listens on: plain UDP for coap, DTLS for coaps. The MTP asks the factory for the
/// security an endpoint wants; a DTLS transport is one more factory.
/// </summary>
public interface ICoapTransportFactory
{
    /// <summary>True when the transports it makes are secured (coaps).</summary>
    bool IsSecure { get; }

    /// <summary>Binds a transport on <paramref name="localEndPoint"/> (port 0 = ephemeral); throws SocketException when it cannot.</summary>
    ICoapTransport Bind(IPEndPoint localEndPoint);
}

/// <summary>
/// A secured transport that opens sessions itself (DTLS as a client): the caller says who it expects at an address
/// before sending there, and the transport refuses a server that cannot prove to be that one.
/// </summary>
public interface ICoapPeerExpectation
{
    /// <param name="host">The host name or address the caller was given (checked against the certificate's DNS names / IP addresses).</param>
    /// <param name="identity">The identity expected in the certificate (a USP Endpoint ID), or null.</param>
    void Expect(IPEndPoint peer, string host, string? identity);
}

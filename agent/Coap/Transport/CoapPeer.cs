using System.Net;

namespace Usp.Agent.Coap;

/// <summary>
/// The other end of an exchange as the transport knows it: its address and, over a secured transport (DTLS), the
/// session it arrived on. A transport delivers every datagram with one, sends with one, and the stack hands it up
/// unchanged to <see cref="CoapRequestContext.Peer"/>; everything above the transport learns who sent a request
/// from it, never from the address alone.
/// </summary>
/// <remarks>
/// The messaging layer keys its state (deduplication, retransmission, tokens, NSTART, block-wise transfers) on
/// <see cref="EndPoint"/>: a transport keeps at most one session per peer address.
/// </remarks>
public sealed class CoapPeer
{
    public CoapPeer(IPEndPoint endPoint, ICoapSecureSession? session = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        EndPoint = endPoint;
        Session = session;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>The secured session the datagrams travel on; null over plain UDP.</summary>
    public ICoapSecureSession? Session { get; }

    /// <summary>True when the datagrams to and from this peer are encrypted (CoAP over DTLS).</summary>
    public bool IsEncrypted => Session is not null;

    /// <summary>The identity the transport authenticated (see <see cref="ICoapSecureSession.AuthenticatedIdentity"/>); null when none.</summary>
    public string? AuthenticatedIdentity => Session?.AuthenticatedIdentity;

    public override string ToString() =>
        Session is null ? EndPoint.ToString() : $"{EndPoint} (secured{(AuthenticatedIdentity is { } id ? ", " + id : "")})";
}

/// <summary>
/// A secured transport's session with one peer (a DTLS association), as the layers above the transport see it.
/// The DTLS transport implements it; its own type may carry more (the peer's certificate chain, the trust anchor
/// that validated it) for an MTP that knows that type.
/// </summary>
public interface ICoapSecureSession
{
    /// <summary>
    /// The identity the transport authenticated the peer as, e.g. the USP Endpoint ID from its certificate's
    /// subjectAltName once the chain was validated; null when the session is encrypted but the peer is not
    /// authenticated.
    /// </summary>
    string? AuthenticatedIdentity { get; }
}

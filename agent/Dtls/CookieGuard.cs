using System.Net;
using System.Net.Sockets;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;

namespace Usp.Agent.Dtls;

/// <summary>
/// Stateless cookies (RFC 6347 §4.2.1) with BouncyCastle's <see cref="DtlsVerifier"/>: a ClientHello without a valid
/// cookie gets a HelloVerifyRequest and leaves no state behind. The cookie is an HMAC of the client's address and
/// ClientHello under a secret that rotates; a cookie made under the previous secret is still accepted, so a
/// rotation does not break a handshake in flight.
/// </summary>
internal sealed class CookieGuard(TlsCrypto crypto, TimeSpan secretLifetime, Func<long> clock)
{
    private static readonly DatagramSender Silent = new SilentSender();
    private DtlsVerifier _current = new(crypto);
    private DtlsVerifier? _previous;
    private long _rotatedAt = clock();
    private readonly byte[] _clientId = new byte[18];
    private readonly ReplySender _reply = new();

    /// <summary>HelloVerifyRequests sent (for tests and statistics).</summary>
    public long HelloVerifyRequests { get; private set; }

    /// <summary>
    /// The verified ClientHello, or null: then a HelloVerifyRequest was sent (or the datagram was not a ClientHello).
    /// Called from the receive loop only.
    /// </summary>
    public DtlsRequest? Verify(byte[] datagram, int length, IPEndPoint from, Socket socket)
    {
        long now = clock();
        if (now - _rotatedAt >= (long)secretLifetime.TotalMilliseconds)
        {
            _previous = _current;
            _current = new DtlsVerifier(crypto);
            _rotatedAt = now;
        }

        int idLength = ClientId(from);
        byte[] clientId = idLength == _clientId.Length ? _clientId : _clientId[..idLength];
        if (_previous?.VerifyRequest(clientId, datagram, 0, length, Silent) is { } earlier)
        {
            return earlier;
        }

        _reply.Socket = socket;
        _reply.Peer = from;
        _reply.Sent = false;
        DtlsRequest? request = _current.VerifyRequest(clientId, datagram, 0, length, _reply);
        if (_reply.Sent)
        {
            HelloVerifyRequests++;
        }

        return request;
    }

    private int ClientId(IPEndPoint from)
    {
        IPAddress address = from.Address.IsIPv4MappedToIPv6 ? from.Address.MapToIPv4() : from.Address;
        address.TryWriteBytes(_clientId, out int written);
        _clientId[written] = (byte)(from.Port >> 8);
        _clientId[written + 1] = (byte)from.Port;
        return written + 2;
    }

    private sealed class ReplySender : DatagramSender
    {
        public Socket? Socket { get; set; }

        public IPEndPoint? Peer { get; set; }

        public bool Sent { get; set; }

        public int GetSendLimit() => 1200;

        public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

        public void Send(ReadOnlySpan<byte> buffer)
        {
            Socket!.SendTo(buffer, SocketFlags.None, Peer!);
            Sent = true;
        }
    }

    private sealed class SilentSender : DatagramSender
    {
        public int GetSendLimit() => 1200;

        public void Send(byte[] buf, int off, int len)
        {
        }

        public void Send(ReadOnlySpan<byte> buffer)
        {
        }
    }
}

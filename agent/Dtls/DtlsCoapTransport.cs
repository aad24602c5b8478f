using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Tls;
using Usp.Agent.Coap;

namespace Usp.Agent.Dtls;

/// <summary>
/// CoAP over DTLS 1.2 (coaps) on one UDP socket: peers are told apart in managed code (by address, or by RFC 9146
/// Connection ID), each peer's records go through its own <see cref="DtlsPeerSession"/>. One thread receives;
/// a ClientHello is answered statelessly (<see cref="CookieGuard"/>) until it carries a valid cookie; each handshake
/// in progress holds one short-lived thread (BouncyCastle's handshake API blocks), their number capped overall and
/// per source address; established sessions are decrypted on the receive thread without waiting, kept until idle
/// for <see cref="DtlsSessionSettings.IdleTimeout"/>, and capped in number. Both roles share the socket: a send to
/// a peer without a session opens one as a DTLS client.
/// </summary>
internal sealed partial class DtlsCoapTransport : ICoapTransport, ICoapPeerExpectation
{
    private const byte ContentTypeHandshake = 22;
    private const byte ContentTypeConnectionId = 25;
    private const int RecordHeaderLength = 13;
    private const int MaxDatagramSize = 65535;

    private readonly Socket _socket;
    private readonly DtlsSecurity _security;
    private readonly DtlsSessionSettings _settings;
    private readonly ILogger _logger;
    private readonly CookieGuard _cookies;
    private readonly ConcurrentDictionary<IPEndPoint, DtlsPeerSession> _byAddress = new();
    private readonly ConcurrentDictionary<ulong, DtlsPeerSession> _byConnectionId = new();
    private readonly HandshakeAdmission _handshakeSlots;
    private readonly Lock _admission = new();
    private readonly Lock _deliverGate = new();
    private readonly DtlsClientSessions _clientSessions;
    private readonly FloodLog _flood;
    private readonly int _datagramLimit;
    private readonly Dictionary<IPEndPoint, DtlsClientTarget> _expected = [];
    private CoapDatagramHandler? _onDatagram;
    private Thread? _receiveThread;
    private Timer? _sweep;
    private volatile bool _stopping;

    private DtlsCoapTransport(Socket socket, DtlsSecurity security, DtlsSessionSettings settings, ILogger logger)
    {
        _socket = socket;
        _security = security;
        _settings = settings;
        _logger = logger;
        _cookies = new CookieGuard(security.Crypto, settings.CookieSecretLifetime, () => Environment.TickCount64);
        _clientSessions = new DtlsClientSessions(settings.MaxSessions * 4);
        _flood = new FloodLog(logger);
        _handshakeSlots = new HandshakeAdmission(settings.MaxHandshakes, settings.MaxHandshakesPerAddress);
        LocalEndPoint = DtlsCoapTransport.Normalize((IPEndPoint)socket.LocalEndPoint!);
        int headers = LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? 48 : 28;
        _datagramLimit = Math.Max(256, settings.PathMtu - headers);
    }

    public IPEndPoint LocalEndPoint { get; }

    public bool IsSecure => true;

    /// <summary>Decides whether a certificate that does not validate is accepted (TOFU); false by default.</summary>
    public Func<PeerCertificateVerdict, bool> AcceptUntrusted { get; set; } = _ => false;

    /// <summary>What a client handshake to a peer expects (host name, Controller EndpointID); by default the peer's address.</summary>
    public Func<IPEndPoint, DtlsClientTarget> ClientTargetFor { get; set; } = peer => new DtlsClientTarget(peer.Address.ToString(), null);

    /// <summary>Raised (on a transport thread) when a session is established.</summary>
    public event Action<IPEndPoint, DtlsPeerIdentity>? SessionEstablished;

    public int SessionCount => _byAddress.Values.Count(s => s.IsEstablished);

    public int HandshakesInProgress => _handshakeSlots.InProgress;

    /// <summary>Peers with any state (handshaking or established).</summary>
    public int PeerCount => _byAddress.Count;

    public long HelloVerifyRequestsSent => _cookies.HelloVerifyRequests;

    /// <summary>The bytes of plaintext that fit one record to the peer (CoAP must not send more in one datagram).</summary>
    public int DatagramLimit => _datagramLimit;

    public static DtlsCoapTransport Bind(IPEndPoint localEndPoint, DtlsSecurity security, DtlsSessionSettings settings, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        var socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (localEndPoint.AddressFamily == AddressFamily.InterNetworkV6 && localEndPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(localEndPoint);
            return new DtlsCoapTransport(socket, security, settings, logger);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Start(CoapDatagramHandler onDatagram)
    {
        ArgumentNullException.ThrowIfNull(onDatagram);
        _onDatagram = onDatagram;
        _receiveThread = new Thread(ReceiveLoop) { IsBackground = true, Name = "coaps-receive" };
        _receiveThread.Start();
        TimeSpan period = TimeSpan.FromTicks(Math.Clamp(_settings.IdleTimeout.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(30).Ticks));
        _sweep = new Timer(static state => ((DtlsCoapTransport)state!).CloseIdleSessions(), this, period, period);
    }

    /// <summary>The identity proved by the established session with <paramref name="peer"/>, or null.</summary>
    public DtlsPeerIdentity? PeerIdentity(IPEndPoint peer) =>
        _byAddress.TryGetValue(DtlsCoapTransport.Normalize(peer), out DtlsPeerSession? session) && session.IsEstablished ? session.Identity : null;

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CoapPeer peer, CancellationToken cancellationToken) =>
        SendAsync(datagram, peer.EndPoint, cancellationToken);

    /// <summary>The expected identity of the server at <paramref name="peer"/> for the next client handshake there (bounded memory).</summary>
    public void Expect(IPEndPoint peer, string host, string? identity)
    {
        peer = DtlsCoapTransport.Normalize(peer);
        lock (_expected)
        {
            if (_expected.Count >= 1024 && !_expected.ContainsKey(peer))
            {
                _expected.Clear();
            }

            _expected[peer] = new DtlsClientTarget(host, identity);
        }
    }

    private DtlsClientTarget TargetFor(IPEndPoint peer)
    {
        lock (_expected)
        {
            if (_expected.TryGetValue(peer, out DtlsClientTarget? target))
            {
                return target;
            }
        }

        return ClientTargetFor(peer);
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint peer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        peer = DtlsCoapTransport.Normalize(peer);
        DtlsPeerSession session = await SessionForSendAsync(peer, cancellationToken).ConfigureAwait(false);
        lock (session.Gate)
        {
            DtlsTransport dtls = session.Dtls ?? throw new IOException($"no DTLS session with {peer}");
            if (datagram.Length > dtls.GetSendLimit())
            {
                throw new IOException($"a {datagram.Length}-byte CoAP message does not fit one DTLS record to {peer} (at most {dtls.GetSendLimit()} bytes)");
            }

            try
            {
                dtls.Send(datagram.Span);
                session.Touch();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
            {
                Forget(session, $"send failed: {e.Message}");
                throw new IOException($"DTLS send to {peer} failed: {e.Message}", e);
            }
        }
    }

    /// <summary>Opens (or reuses) a DTLS client session with <paramref name="peer"/>; tests and ctl call it directly.</summary>
    public async Task<DtlsPeerIdentity> ConnectAsync(IPEndPoint peer, CancellationToken cancellationToken)
    {
        DtlsPeerSession session = await SessionForSendAsync(DtlsCoapTransport.Normalize(peer), cancellationToken).ConfigureAwait(false);
        return session.Identity!;
    }

    private async Task<DtlsPeerSession> SessionForSendAsync(IPEndPoint peer, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < 2; attempt++)
        {
            if (_stopping)
            {
                throw new ObjectDisposedException(nameof(DtlsCoapTransport));
            }

            DtlsPeerSession session;
            if (_byAddress.TryGetValue(peer, out DtlsPeerSession? existing) && !existing.IsClosed)
            {
                session = existing;
            }
            else
            {
                session = StartClientHandshake(peer);
            }

            if (session.IsEstablished)
            {
                return session;
            }

            try
            {
                await session.Established.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                return session;
            }
            catch (IOException) when (attempt == 0 && !session.IsClient)
            {
                // A server-side handshake with that peer failed meanwhile: try once as a client.
            }
        }

        throw new IOException($"no DTLS session with {peer}");
    }

    /// <summary>Ends the session with <paramref name="peer"/> (close_notify); false when there was none.</summary>
    public bool CloseSession(IPEndPoint peer, string reason)
    {
        if (!_byAddress.TryGetValue(DtlsCoapTransport.Normalize(peer), out DtlsPeerSession? session))
        {
            return false;
        }

        Forget(session, reason);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        if (_sweep is { } sweep)
        {
            await sweep.DisposeAsync().ConfigureAwait(false);
        }

        // close_notify to every established peer before the socket goes.
        foreach (DtlsPeerSession session in _byAddress.Values)
        {
            Forget(session, null);
        }

        _socket.Dispose();
        if (_receiveThread is { } thread && thread != Thread.CurrentThread)
        {
            thread.Join();
        }
    }

    /// <summary>Peers seen through a dual-mode socket appear as ::ffff:a.b.c.d; keep one identity per peer.</summary>
    internal static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    internal void SendRaw(ReadOnlySpan<byte> datagram, IPEndPoint peer)
    {
        _socket.SendTo(datagram, SocketFlags.None, peer);
    }
}

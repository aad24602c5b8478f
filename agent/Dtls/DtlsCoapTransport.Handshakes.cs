using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Tls;

namespace Usp.Agent.Dtls;

internal sealed partial class DtlsCoapTransport
{
    /// <summary>A ClientHello from a peer without a session: cookie first, then (within the caps) a handshake thread.</summary>
    private void AcceptNewPeer(byte[] buffer, int length, IPEndPoint from, DtlsPeerSession? previous)
    {
        if (_byAddress.Count(p => p.Value.IsEstablished) >= _settings.MaxSessions && previous is null)
        {
            _flood.Report("session-cap", $"DTLS: ClientHello from {from} dropped: {_settings.MaxSessions} sessions are established (Agent:DtlsMaxSessions)");
            return;
        }

        if (!HasHandshakeRoom(from.Address))
        {
            _flood.Report("handshake-cap", $"DTLS: ClientHello from {from} dropped: too many handshakes in progress (at most {_settings.MaxHandshakes}, {_settings.MaxHandshakesPerAddress} per address)");
            return;
        }

        DtlsRequest? request = _cookies.Verify(buffer, length, from, _socket);
        if (request is null)
        {
            return;
        }

        if (previous is not null)
        {
            // The peer starts over (a restarted client on the same port): the old session ends.
            Forget(previous, "the peer started a new handshake");
        }

        if (!TryReserveHandshake(from.Address))
        {
            return;
        }

        var session = new DtlsPeerSession(this, from, isClient: false, _datagramLimit) { HandshakeAddress = from.Address, HoldsHandshakeSlot = true };
        _byAddress[from] = session;
        StartThread(() => RunServerHandshake(session, request), "dtls-accept");
    }

    private DtlsPeerSession StartClientHandshake(IPEndPoint peer)
    {
        lock (_admission)
        {
            if (_byAddress.TryGetValue(peer, out DtlsPeerSession? existing) && !existing.IsClosed)
            {
                return existing;
            }

            if (_security.Credentials is null && _security.Psk is null)
            {
                throw new IOException($"cannot open a DTLS session with {peer}: the agent has no certificate or PSK");
            }

            if (_clientSessions.BackOff(peer) is { } until)
            {
                throw new IOException($"no DTLS session with {peer}: the last handshake failed, next attempt after {until:HH:mm:ss}");
            }

            if (_handshakes >= _settings.MaxHandshakes)
            {
                throw new IOException($"cannot open a DTLS session with {peer}: {_settings.MaxHandshakes} handshakes are in progress");
            }

            _handshakes++;
            var session = new DtlsPeerSession(this, peer, isClient: true, _datagramLimit) { HoldsHandshakeSlot = true };
            _byAddress[peer] = session;
            DtlsClientTarget target = TargetFor(peer);
            if (_clientSessions.Resumable(peer) is { } resumable)
            {
                target = target with { Resume = resumable.Session, ResumedIdentity = resumable.Identity };
            }

            StartThread(() => RunClientHandshake(session, target), "dtls-connect");
            return session;
        }
    }

    private void RunServerHandshake(DtlsPeerSession session, DtlsRequest request)
    {
        var observer = new Observer(this, session);
        try
        {
            var server = new AgentDtlsServer(_security, observer, _settings);
            DtlsTransport dtls = new DtlsServerProtocol().Accept(server, session, request);
            Established(session, dtls, server.Identity!, observer, resumed: false);
        }
        catch (Exception e)
        {
            HandshakeFailed(session, e);
        }
    }

    private void RunClientHandshake(DtlsPeerSession session, DtlsClientTarget target)
    {
        var observer = new Observer(this, session);
        try
        {
            var client = new AgentDtlsClient(_security, observer, _settings, target);
            DtlsTransport dtls = new DtlsClientProtocol().Connect(client, session);
            if (client.NewSession is { } resumable)
            {
                _clientSessions.Remember(session.Peer, resumable, client.Identity!);
            }

            _clientSessions.Succeeded(session.Peer);
            Established(session, dtls, client.Identity!, observer, client.Resumed);
        }
        catch (Exception e)
        {
            _clientSessions.Failed(session.Peer, forgetResumption: target.Resume is not null);
            HandshakeFailed(session, e);
        }
    }

    private void Established(DtlsPeerSession session, DtlsTransport dtls, DtlsPeerIdentity identity, Observer observer, bool resumed)
    {
        ReleaseHandshake(session);
        if (_stopping || session.IsClosed)
        {
            dtls.Close();
            session.MarkClosed();
            return;
        }

        lock (session.Gate)
        {
            session.Establish(dtls, identity);
            // Registered whether or not the peer agreed: records carry it (content type 25) only if it did.
            if (observer.ConnectionId is { } cid)
            {
                session.LocalConnectionId = cid;
                _byConnectionId[cid] = session;
            }
        }

        LogEstablished(session.IsClient ? "to" : "from", session.Peer, identity.EndpointId ?? identity.PskIdentity ?? "(no EndpointID)", identity.CipherSuite, resumed ? " (resumed)" : "");
        session.Established.TrySetResult();
        SessionEstablished?.Invoke(session.Peer, identity);

        // Records that arrived while the handshake finished.
        if (session.HasPending)
        {
            Decrypt(session, session.Peer, new byte[MaxDatagramSize]);
        }
    }

    private void HandshakeFailed(DtlsPeerSession session, Exception e)
    {
        ReleaseHandshake(session);
        if (!_stopping)
        {
            LogHandshakeFailed(session.IsClient ? "to" : "from", session.Peer, DescribeFailure(e));
        }

        session.MarkClosed();
        _byAddress.TryRemove(new KeyValuePair<IPEndPoint, DtlsPeerSession>(session.Peer, session));
    }

    /// <summary>Closes the session (close_notify when established), forgets it, and logs why when <paramref name="reason"/> is given.</summary>
    private void Forget(DtlsPeerSession session, string? reason)
    {
        lock (session.Gate)
        {
            if (session.Dtls is { } dtls)
            {
                try
                {
                    dtls.Close();
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                    // The peer is gone: nothing to tell it.
                }
            }

            session.MarkClosed();
        }

        _byAddress.TryRemove(new KeyValuePair<IPEndPoint, DtlsPeerSession>(session.Peer, session));
        if (session.LocalConnectionId is { } cid)
        {
            _byConnectionId.TryRemove(new KeyValuePair<ulong, DtlsPeerSession>(cid, session));
        }

        if (reason is not null)
        {
            LogSessionClosed(session.Peer, reason);
        }
    }

    private void CloseIdleSessions()
    {
        long now = Environment.TickCount64;
        long idle = (long)_settings.IdleTimeout.TotalMilliseconds;
        foreach (DtlsPeerSession session in _byAddress.Values)
        {
            if (session.IsEstablished && now - session.LastActivityTicks >= idle)
            {
                Forget(session, $"idle for {_settings.IdleTimeout}");
            }
        }
    }

    private bool HasHandshakeRoom(IPAddress address)
    {
        lock (_admission)
        {
            return _handshakes < _settings.MaxHandshakes
                && (!_handshakesPerAddress.TryGetValue(address, out int n) || n < _settings.MaxHandshakesPerAddress);
        }
    }

    private bool TryReserveHandshake(IPAddress address)
    {
        lock (_admission)
        {
            _handshakesPerAddress.TryGetValue(address, out int n);
            if (_handshakes >= _settings.MaxHandshakes || n >= _settings.MaxHandshakesPerAddress)
            {
                return false;
            }

            _handshakes++;
            _handshakesPerAddress[address] = n + 1;
            return true;
        }
    }

    private void ReleaseHandshake(DtlsPeerSession session)
    {
        lock (_admission)
        {
            if (!session.HoldsHandshakeSlot)
            {
                return;
            }

            session.HoldsHandshakeSlot = false;
            _handshakes--;
            if (!session.IsClient && _handshakesPerAddress.TryGetValue(session.HandshakeAddress, out int n))
            {
                if (n <= 1)
                {
                    _handshakesPerAddress.Remove(session.HandshakeAddress);
                }
                else
                {
                    _handshakesPerAddress[session.HandshakeAddress] = n - 1;
                }
            }
        }
    }

    private static void StartThread(Action work, string name) =>
        new Thread(() => work()) { IsBackground = true, Name = name }.Start();

    private static string DescribeFailure(Exception e) => e switch
    {
        TlsFatalAlertReceived received => $"the peer sent the fatal alert {DtlsNames.Alert(received.AlertDescription)}",
        TlsFatalAlert alert => $"{DtlsNames.Alert(alert.AlertDescription)}{(string.IsNullOrEmpty(alert.Message) || alert.Message == DtlsNames.Alert(alert.AlertDescription) ? "" : ": " + alert.Message)}",
        TlsTimeoutException => "timed out waiting for the peer",
        _ => e.Message,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "DTLS session {Direction} {Peer} established: {Identity}, {CipherSuite}{Resumed}")]
    private partial void LogEstablished(string direction, IPEndPoint peer, string identity, string cipherSuite, string resumed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DTLS handshake {Direction} {Peer} failed: {Reason}")]
    private partial void LogHandshakeFailed(string direction, IPEndPoint peer, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "DTLS session with {Peer} closed: {Reason}")]
    private partial void LogSessionClosed(IPEndPoint peer, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "DTLS session moved from {Old} to {New} (its Connection ID)")]
    private partial void LogRebound(IPEndPoint old, IPEndPoint @new);

    [LoggerMessage(Level = LogLevel.Debug, Message = "coaps: receive error ignored: {Reason}")]
    private partial void LogReceiveError(string reason);

    /// <summary>The per-session handshake callbacks: logs name the peer.</summary>
    private sealed class Observer(DtlsCoapTransport owner, DtlsPeerSession session) : DtlsHandshakeObserver
    {
        public ulong? ConnectionId { get; private set; }

        public override bool AcceptUntrusted(PeerCertificateVerdict verdict) => owner.AcceptUntrusted(verdict);

        public override void Rejected(string reason) =>
            owner._logger.LogWarning("DTLS peer {Peer} refused: {Reason}", session.Peer, reason);

        public override void AlertRaised(short level, short description, string? message)
        {
            if (description != AlertDescription.close_notify)
            {
                owner._logger.LogDebug("DTLS alert {Alert} sent to {Peer}{Detail}", DtlsNames.Alert(description), session.Peer, message is null ? "" : ": " + message);
            }
        }

        public override void AlertReceived(short level, short description)
        {
            if (description != AlertDescription.close_notify)
            {
                owner._logger.LogInformation("DTLS alert {Alert} received from {Peer}", DtlsNames.Alert(description), session.Peer);
            }
        }

        public override byte[] NewConnectionId()
        {
            byte[] cid = RandomNumberGenerator.GetBytes(8);
            ConnectionId = BinaryPrimitives.ReadUInt64BigEndian(cid);
            return cid;
        }
    }
}

/// <summary>Logs a repeated condition (a flood) at most once every 10 s per kind, with how many were not logged.</summary>
internal sealed class FloodLog(ILogger logger)
{
    private readonly Dictionary<string, (long At, long Suppressed)> _last = [];

    public void Report(string kind, string message)
    {
        long now = Environment.TickCount64;
        lock (_last)
        {
            if (_last.TryGetValue(kind, out var entry) && now - entry.At < 10_000)
            {
                _last[kind] = (entry.At, entry.Suppressed + 1);
                return;
            }

            _last[kind] = (now, 0);
            logger.LogWarning("{Message}{Suppressed}", message, entry.Suppressed > 0 ? $" ({entry.Suppressed} more like it not logged)" : "");
        }
    }
}

/// <summary>
/// The client side's memory per server: the session to offer for resumption (with the identity it proved), and a
/// bounded reconnect back-off after failed handshakes. Capped: the least recently stored entry goes first.
/// </summary>
internal sealed class DtlsClientSessions(int capacity)
{
    private static readonly TimeSpan FirstBackOff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackOff = TimeSpan.FromSeconds(60);
    private readonly Dictionary<IPEndPoint, (TlsSession Session, DtlsPeerIdentity Identity)> _resumable = [];
    private readonly Queue<IPEndPoint> _order = new();
    private readonly Dictionary<IPEndPoint, (DateTime Until, TimeSpan Delay)> _failures = [];

    public (TlsSession Session, DtlsPeerIdentity Identity)? Resumable(IPEndPoint peer)
    {
        lock (_resumable)
        {
            return _resumable.TryGetValue(peer, out var entry) && entry.Session.IsResumable ? entry : null;
        }
    }

    public void Remember(IPEndPoint peer, TlsSession session, DtlsPeerIdentity identity)
    {
        lock (_resumable)
        {
            if (!_resumable.ContainsKey(peer))
            {
                _order.Enqueue(peer);
                while (_order.Count > capacity && _order.TryDequeue(out IPEndPoint? oldest))
                {
                    _resumable.Remove(oldest);
                }
            }

            _resumable[peer] = (session, identity);
        }
    }

    public DateTime? BackOff(IPEndPoint peer)
    {
        lock (_resumable)
        {
            return _failures.TryGetValue(peer, out var failure) && failure.Until > DateTime.UtcNow ? failure.Until : null;
        }
    }

    public void Failed(IPEndPoint peer, bool forgetResumption)
    {
        lock (_resumable)
        {
            if (forgetResumption)
            {
                _resumable.Remove(peer);
            }

            TimeSpan delay = _failures.TryGetValue(peer, out var failure) ? TimeSpan.FromTicks(Math.Min(failure.Delay.Ticks * 2, MaxBackOff.Ticks)) : FirstBackOff;
            if (_failures.Count >= capacity && !_failures.ContainsKey(peer))
            {
                _failures.Clear();
            }

            _failures[peer] = (DateTime.UtcNow + delay, delay);
        }
    }

    public void Succeeded(IPEndPoint peer)
    {
        lock (_resumable)
        {
            _failures.Remove(peer);
        }
    }
}

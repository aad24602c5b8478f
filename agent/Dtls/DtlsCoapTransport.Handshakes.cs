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

        if (!_handshakeSlots.HasRoomFor(from.Address))
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

        if (!_handshakeSlots.TryReserveServer(from.Address))
        {
            return;
        }

        var session = new DtlsPeerSession(this, from, isClient: false, _datagramLimit);
        session.HoldHandshakeSlot();
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

            if (!_handshakeSlots.TryReserveClient())
            {
                throw new IOException($"cannot open a DTLS session with {peer}: {_settings.MaxHandshakes} handshakes are in progress");
            }

            var session = new DtlsPeerSession(this, peer, isClient: true, _datagramLimit);
            session.HoldHandshakeSlot();
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

    private void ReleaseHandshake(DtlsPeerSession session)
    {
        if (session.TryGiveUpHandshakeSlot())
        {
            // A server session's handshake is answering the address it came from (the session cannot move before it is established).
            _handshakeSlots.Release(session.IsClient ? null : session.Peer.Address);
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

using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Org.BouncyCastle.Tls;
using Usp.Agent.Coap;

namespace Usp.Agent.Dtls;

/// <summary>The receive thread: demultiplexes datagrams to peer sessions, decrypts established ones, hands ClientHellos to admission.</summary>
internal sealed partial class DtlsCoapTransport
{
    private void ReceiveLoop()
    {
        var buffer = new byte[MaxDatagramSize];
        var plaintext = new byte[MaxDatagramSize];
        EndPoint any = _socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        while (!_stopping)
        {
            try
            {
                EndPoint from = any;
                int received = _socket.ReceiveFrom(buffer, SocketFlags.None, ref from);
                OnDatagram(buffer, received, DtlsCoapTransport.Normalize((IPEndPoint)from), plaintext);
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException) when (_stopping)
            {
                break;
            }
            catch (Exception e)
            {
                // ICMP errors surface as SocketException; nothing a peer sends may stop the loop.
                LogReceiveError(e.Message);
            }
        }
    }

    private void OnDatagram(byte[] buffer, int length, IPEndPoint from, byte[] plaintext)
    {
        if (length < RecordHeaderLength)
        {
            return;
        }

        ReadOnlySpan<byte> datagram = buffer.AsSpan(0, length);
        DtlsPeerSession? session = null;
        if (datagram[0] == ContentTypeConnectionId && length >= RecordHeaderLength + 8)
        {
            _byConnectionId.TryGetValue(BinaryPrimitives.ReadUInt64BigEndian(datagram.Slice(11, 8)), out session);
        }

        if (session is null)
        {
            _byAddress.TryGetValue(from, out session);
        }

        bool clientHello = IsInitialClientHello(datagram);
        if (session is not null && !session.IsClosed && !(clientHello && !session.IsClient && session.IsEstablished))
        {
            session.Post(datagram);
            if (session.IsEstablished)
            {
                Decrypt(session, from, plaintext);
            }

            return;
        }

        if (!clientHello || _stopping)
        {
            return;
        }

        AcceptNewPeer(buffer, length, from, session);
    }

    /// <summary>A handshake record of epoch 0 carrying a ClientHello (type 1).</summary>
    private static bool IsInitialClientHello(ReadOnlySpan<byte> datagram) =>
        datagram.Length > RecordHeaderLength && datagram[0] == ContentTypeHandshake && datagram[3] == 0 && datagram[4] == 0 && datagram[RecordHeaderLength] == 1;

    private void Decrypt(DtlsPeerSession session, IPEndPoint from, byte[] plaintext)
    {
        lock (session.Gate)
        {
            if (session.Dtls is not { } dtls)
            {
                return;
            }

            try
            {
                DtlsRecordCallback callback = session.RecordCallback;
                session.LastRecordFlags = DtlsRecordFlags.None;

                // Waits at most 1 ms: the inbox never blocks once established, and BouncyCastle loops until its wait ends.
                int n = dtls.Receive(plaintext, 0, plaintext.Length, 1, callback);
                while (n >= 0)
                {
                    DtlsRecordFlags flags = session.LastRecordFlags;
                    if (!from.Equals(session.Peer) && flags.HasFlag(DtlsRecordFlags.UsesConnectionID) && flags.HasFlag(DtlsRecordFlags.IsNewest))
                    {
                        Rebind(session, from);
                    }

                    session.Touch();
                    if (n > 0)
                    {
                        Deliver(plaintext.AsMemory(0, n), session.CoapPeer);
                    }

                    n = dtls.ReceivePending(plaintext, 0, plaintext.Length, callback);
                }
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
            {
                Forget(session, DescribeFailure(e));
                return;
            }

            if (session.IsClosed)
            {
                Forget(session, "the peer closed the session (close_notify)");
            }
        }
    }

    private void Deliver(ReadOnlyMemory<byte> datagram, CoapPeer peer)
    {
        lock (_deliverGate)
        {
            try
            {
                _onDatagram?.Invoke(datagram, peer);
            }
            catch (Exception e)
            {
                LogReceiveError(e.Message);
            }
        }
    }

    /// <summary>RFC 9146 §6: a record with our Connection ID from a new address moves the session there (NAT rebinding).</summary>
    private void Rebind(DtlsPeerSession session, IPEndPoint to)
    {
        IPEndPoint old = session.Peer;
        session.MoveTo(to);
        _byAddress.TryRemove(new KeyValuePair<IPEndPoint, DtlsPeerSession>(old, session));
        _byAddress[to] = session;
        LogRebound(old, to);
    }
}

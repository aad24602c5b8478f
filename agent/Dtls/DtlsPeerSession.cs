using System.Net;
using Org.BouncyCastle.Tls;
using Usp.Agent.Coap;

namespace Usp.Agent.Dtls;

/// <summary>
/// One peer of a <see cref="DtlsCoapTransport"/>: BouncyCastle's <see cref="DatagramTransport"/> for that peer's
/// records, fed by the transport's receive loop. During the handshake the handshake thread blocks in
/// <see cref="Receive(byte[],int,int,int)"/> on a small bounded inbox; once established the receive loop decrypts
/// in place and <see cref="Receive(byte[],int,int,int)"/> never waits.
/// </summary>
internal sealed class DtlsPeerSession : DatagramTransport, ICoapSecureSession
{
    private const int InboxCapacity = 32;
    private readonly Queue<byte[]> _inbox = new();
    private readonly DtlsCoapTransport _owner;
    private readonly int _datagramLimit;
    private volatile IPEndPoint _peer;
    private volatile bool _polling;
    private volatile bool _closed;
    private int _holdsHandshakeSlot;
    private long _lastActivity;
    private DtlsRecordCallback? _recordCallback;

    public DtlsPeerSession(DtlsCoapTransport owner, IPEndPoint peer, bool isClient, int datagramLimit)
    {
        _owner = owner;
        _peer = peer;
        IsClient = isClient;
        _datagramLimit = datagramLimit;
        CoapPeer = new CoapPeer(peer, this);
        Touch();
    }

    /// <summary>Serialises decryption, encryption and closing of this session.</summary>
    public Lock Gate { get; } = new();

    /// <summary>The flags of the last record decrypted through <see cref="RecordCallback"/> (used under <see cref="Gate"/>).</summary>
    public DtlsRecordFlags LastRecordFlags { get; set; }

    /// <summary>Records each decrypted record's flags in <see cref="LastRecordFlags"/>; one delegate per session, not per datagram.</summary>
    public DtlsRecordCallback RecordCallback => _recordCallback ??= flags => LastRecordFlags = flags;

    public IPEndPoint Peer => _peer;

    /// <summary>The peer as the CoAP layer sees it (made once per address, not per datagram).</summary>
    public CoapPeer CoapPeer { get; private set; }

    /// <summary>The EndpointID the peer's certificate carries (validated, or accepted on first use): the Record's from_id must equal it.</summary>
    public string? AuthenticatedIdentity => Identity?.EndpointId;

    public bool IsClient { get; }

    public DtlsTransport? Dtls { get; private set; }

    public DtlsPeerIdentity? Identity { get; private set; }

    public bool IsEstablished => Dtls is not null && !_closed;

    public bool IsClosed => _closed;

    /// <summary>The Connection ID the peer puts in records to us (RFC 9146), when negotiated.</summary>
    public ulong? LocalConnectionId { get; set; }

    /// <summary>Completed once the handshake succeeds; failed when it does not.</summary>
    public TaskCompletionSource Established { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Marks the session as holding a handshake slot (<see cref="HandshakeAdmission"/>) until <see cref="TryGiveUpHandshakeSlot"/>.</summary>
    public void HoldHandshakeSlot() => Volatile.Write(ref _holdsHandshakeSlot, 1);

    /// <summary>True exactly once after <see cref="HoldHandshakeSlot"/>: the caller then releases the slot.</summary>
    public bool TryGiveUpHandshakeSlot() => Interlocked.Exchange(ref _holdsHandshakeSlot, 0) == 1;

    public long LastActivityTicks => Interlocked.Read(ref _lastActivity);

    public void Touch() => Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);

    public void MoveTo(IPEndPoint peer)
    {
        _peer = peer;
        CoapPeer = new CoapPeer(peer, this);
    }

    /// <summary>Queues a received datagram (dropped when the inbox is full: DTLS retransmits).</summary>
    public void Post(ReadOnlySpan<byte> datagram)
    {
        lock (_inbox)
        {
            if (_inbox.Count >= InboxCapacity || _closed)
            {
                return;
            }

            _inbox.Enqueue(datagram.ToArray());
            Monitor.Pulse(_inbox);
        }
    }

    public bool HasPending
    {
        get
        {
            lock (_inbox)
            {
                return _inbox.Count > 0;
            }
        }
    }

    /// <summary>The handshake finished: from now on the receive loop decrypts without waiting.</summary>
    public void Establish(DtlsTransport dtls, DtlsPeerIdentity? identity)
    {
        Identity = identity;
        _polling = true;
        Dtls = dtls;
        Touch();
    }

    /// <summary>Marks the session closed and wakes a handshake waiting for data.</summary>
    public void MarkClosed()
    {
        lock (_inbox)
        {
            _closed = true;
            _inbox.Clear();
            Monitor.PulseAll(_inbox);
        }

        Established.TrySetException(new IOException($"the DTLS session with {_peer} closed"));
    }

    public int GetReceiveLimit() => _datagramLimit;

    public int GetSendLimit() => _datagramLimit;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        byte[] datagram;
        lock (_inbox)
        {
            if (_inbox.Count == 0)
            {
                if (_polling)
                {
                    return -1;
                }

                long deadline = Environment.TickCount64 + (waitMillis > 0 ? waitMillis : int.MaxValue);
                while (_inbox.Count == 0 && !_closed)
                {
                    long left = deadline - Environment.TickCount64;
                    if (left <= 0)
                    {
                        return -1;
                    }

                    Monitor.Wait(_inbox, (int)Math.Min(left, int.MaxValue));
                }
            }

            if (_closed)
            {
                // Ends a handshake at once on shutdown or eviction instead of at its timeout.
                throw new IOException($"the DTLS session with {_peer} closed");
            }

            datagram = _inbox.Dequeue();
        }

        int length = Math.Min(datagram.Length, buffer.Length);
        datagram.AsSpan(0, length).CopyTo(buffer);
        return length;
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        if (_closed && Dtls is null)
        {
            throw new IOException($"the DTLS session with {_peer} closed");
        }

        _owner.SendRaw(buffer, _peer);
    }

    /// <summary>Called by BouncyCastle when the DTLS connection closes (close_notify sent or received, or failure).</summary>
    public void Close()
    {
        lock (_inbox)
        {
            _closed = true;
            Monitor.PulseAll(_inbox);
        }
    }
}

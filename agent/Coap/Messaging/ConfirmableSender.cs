using System.Net;

namespace Usp.Agent.Coap;

/// <summary>
/// Reliability (RFC 7252 §4.2): sends a confirmable message and retransmits it with exponential back-off, from a
/// random initial timeout between ACK_TIMEOUT and ACK_TIMEOUT × ACK_RANDOM_FACTOR, until the peer's ACK or RST takes
/// it (<see cref="Take"/>) or MAX_RETRANSMIT retransmissions went unanswered (the owner's <see cref="IConfirmableOwner.GaveUp"/>).
/// Every timer comes from the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class ConfirmableSender(CoapOutbox outbox, CoapEndpointOptions options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(IPEndPoint Peer, ushort MessageId), Outgoing> _awaitingAck = [];

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _awaitingAck.Count;
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="message"/> (Type CON, its message ID set) until acknowledged; null when
    /// <paramref name="owner"/> finished before it was sent. Throws ArgumentException when the message cannot be encoded.
    /// </summary>
    public Outgoing? Send(CoapMessage message, CoapPeer peer, IConfirmableOwner? owner)
    {
        var pending = new Outgoing(this, peer, message.MessageId, message.ToArray(), owner);
        double factor = 1.0 + (Random.Shared.NextDouble() * (options.AckRandomFactor - 1.0));
        lock (_gate)
        {
            if (owner?.Attach(pending) == false)
            {
                return null; // finished (cancelled) before it was sent
            }
            pending.Timeout = options.AckTimeout * factor;
            _awaitingAck[(peer.EndPoint, pending.MessageId)] = pending;
            pending.Timer = time.CreateTimer(static state =>
            {
                var confirmable = (Outgoing)state!;
                confirmable.Sender.OnRetransmitTimer(confirmable);
            }, pending, pending.Timeout, Timeout.InfiniteTimeSpan);
        }
        outbox.Send(pending.Datagram, peer);
        return pending;
    }

    /// <summary>The confirmable a peer's ACK or RST answers, no longer retransmitted; null when none was waiting.</summary>
    public Outgoing? Take(IPEndPoint peer, ushort messageId)
    {
        lock (_gate)
        {
            if (_awaitingAck.Remove((peer, messageId), out var pending))
            {
                pending.Timer?.Dispose();
                return pending;
            }
        }
        return null;
    }

    /// <summary>Stops retransmitting <paramref name="pending"/> (its exchange ended another way); nothing when it is no longer waiting.</summary>
    public void Forget(Outgoing pending)
    {
        lock (_gate)
        {
            var key = (pending.Peer.EndPoint, pending.MessageId);
            if (_awaitingAck.TryGetValue(key, out var current) && ReferenceEquals(current, pending))
            {
                _awaitingAck.Remove(key);
                pending.Timer?.Dispose();
            }
        }
    }

    /// <summary>Stops every retransmission (the endpoint is closing).</summary>
    public void ForgetAll()
    {
        lock (_gate)
        {
            foreach (var pending in _awaitingAck.Values)
            {
                pending.Timer?.Dispose();
            }
            _awaitingAck.Clear();
        }
    }

    private void OnRetransmitTimer(Outgoing pending)
    {
        bool giveUp;
        lock (_gate)
        {
            if (!_awaitingAck.TryGetValue((pending.Peer.EndPoint, pending.MessageId), out var current) || !ReferenceEquals(current, pending))
            {
                return;
            }
            giveUp = pending.Retransmissions >= options.MaxRetransmit;
            if (giveUp)
            {
                _awaitingAck.Remove((pending.Peer.EndPoint, pending.MessageId));
                pending.Timer?.Dispose();
            }
            else
            {
                pending.Retransmissions++;
                pending.Timeout *= 2;
                pending.Timer?.Change(pending.Timeout, Timeout.InfiniteTimeSpan);
            }
        }
        if (!giveUp)
        {
            outbox.Send(pending.Datagram, pending.Peer);
        }
        else
        {
            pending.Owner?.GaveUp(new CoapTimeoutException($"No acknowledgement from {pending.Peer} after {options.MaxRetransmit} retransmissions"));
        }
    }

    /// <summary>One confirmable message waiting for its ACK.</summary>
    internal sealed class Outgoing(ConfirmableSender sender, CoapPeer peer, ushort messageId, byte[] datagram, IConfirmableOwner? owner)
    {
        /// <summary>For the static retransmission timer callback (no boxed state per message).</summary>
        public ConfirmableSender Sender { get; } = sender;
        public CoapPeer Peer { get; } = peer;
        public ushort MessageId { get; } = messageId;
        public byte[] Datagram { get; } = datagram;

        /// <summary>The client exchange a request belongs to; null for a separate response we send.</summary>
        public IConfirmableOwner? Owner { get; } = owner;
        public int Retransmissions { get; set; }
        public TimeSpan Timeout { get; set; }
        public ITimer? Timer { get; set; }
    }
}

/// <summary>What a confirmable message belongs to (a client exchange), told when it is sent and when delivery failed.</summary>
internal interface IConfirmableOwner
{
    /// <summary>Records the message as the exchange's pending one; false when the exchange has already finished (it is then not sent).</summary>
    bool Attach(ConfirmableSender.Outgoing pending);

    /// <summary>No ACK after every retransmission.</summary>
    void GaveUp(CoapTimeoutException failure);
}

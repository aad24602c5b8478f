using System.Net;

namespace Usp.Agent.Coap;

/// <summary>
/// Message-ID deduplication (RFC 7252 §4.5) for one lifetime (EXCHANGE_LIFETIME or NON_LIFETIME). Entries
/// expire in insertion order, which is expiry order because the lifetime is fixed; the size is capped.
/// </summary>
internal sealed class DeduplicationCache(TimeSpan lifetime, int capacity)
{
    private readonly Dictionary<(IPEndPoint Peer, ushort MessageId), InboundExchange> _entries = [];
    private readonly Queue<(IPEndPoint Peer, ushort MessageId, DateTimeOffset Expires, InboundExchange Exchange)> _order = new();

    public int Count => _entries.Count;

    /// <summary>
    /// Returns true and the earlier exchange when (peer, MID) was seen within the lifetime with the same token.
    /// With another token it is a new message from a new client on a reused port (a client that binds a socket
    /// per request reuses ports; its message IDs may meet the earlier client's), which replaces the entry.
    /// </summary>
    public bool TryGetOrAdd(IPEndPoint peer, ushort messageId, TokenKey token, DateTimeOffset now, out InboundExchange exchange)
    {
        Purge(now);
        if (_entries.TryGetValue((peer, messageId), out var existing) && existing.Token == token)
        {
            exchange = existing;
            return true;
        }
        while (_entries.Count >= capacity && _order.TryDequeue(out var oldest))
        {
            Remove(oldest.Peer, oldest.MessageId, oldest.Exchange);
        }
        exchange = new InboundExchange(token);
        _entries[(peer, messageId)] = exchange;
        _order.Enqueue((peer, messageId, now + lifetime, exchange));
        return false;
    }

    private void Purge(DateTimeOffset now)
    {
        while (_order.TryPeek(out var oldest) && oldest.Expires <= now)
        {
            _order.Dequeue();
            Remove(oldest.Peer, oldest.MessageId, oldest.Exchange);
        }
    }

    private void Remove(IPEndPoint peer, ushort messageId, InboundExchange exchange)
    {
        if (_entries.TryGetValue((peer, messageId), out var current) && ReferenceEquals(current, exchange))
        {
            _entries.Remove((peer, messageId));
        }
    }
}

namespace Usp.DataModel.Records;

/// <summary>
/// Remembers recently handled (from_id, msg_id) pairs so a duplicate delivery (e.g. over a second
/// MTP) is ignored instead of applied twice (R-MSG.4).
/// </summary>
internal sealed class DuplicateMessageFilter(TimeProvider time, TimeSpan window, int capacity = 4096)
{
    private readonly Dictionary<(string From, string MsgId), DateTimeOffset> _seen = [];
    private readonly Queue<(string From, string MsgId)> _order = new();

    /// <summary>Records the pair; returns false when it was seen within the window.</summary>
    public bool TryRegister(string fromId, string msgId)
    {
        var now = time.GetUtcNow();
        while (_order.Count > 0 && (_order.Count > capacity || now - _seen[_order.Peek()] > window))
            _seen.Remove(_order.Dequeue());
        var key = (fromId, msgId);
        if (_seen.TryGetValue(key, out var at) && now - at <= window)
            return false;
        if (!_seen.ContainsKey(key))
            _order.Enqueue(key);
        _seen[key] = now;
        return true;
    }
}

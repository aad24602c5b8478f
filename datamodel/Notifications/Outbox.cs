using System.Globalization;
using Google.Protobuf;
using Usp.Proto;

namespace Usp.DataModel.Notifications;

/// <summary>One Notify on its way to a Controller, possibly waiting for its NotifyResp.</summary>
internal sealed class PendingNotification
{
    public required string MsgId { get; init; }
    public required string ControllerEndpointId { get; init; }
    /// <summary>The encoded Notify Msg; every attempt wraps it anew for the Controller's session (same msg_id).</summary>
    public required byte[] Msg { get; init; }
    /// <summary>send_resp was true: keep retrying until the NotifyResp arrives or it expires.</summary>
    public required bool AwaitsResponse { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    /// <summary>Stored in the database so a restart does not lose it (persistent subscriptions).</summary>
    public bool Persisted { get; init; }
    /// <summary>Runs (under the engine lock) when the Controller acknowledged it with a NotifyResp.</summary>
    public Action? OnAcknowledged { get; init; }
    public int Attempts { get; set; }
    public DateTimeOffset NextAttempt { get; set; }
    /// <summary>An attempt reached the Controller (its MTP took it); notifications queued after it may go now.</summary>
    public bool Delivered { get; set; }

    public string PersistKey => Outbox.PersistPrefix + MsgId;

    private const string MsgFormat = "msg";

    public string Serialize() => string.Join('\n',
        ControllerEndpointId,
        ExpiresAt?.UtcTicks.ToString(CultureInfo.InvariantCulture) ?? "",
        Convert.ToBase64String(Msg),
        MsgFormat);

    public static PendingNotification? Deserialize(string msgId, string text, DateTimeOffset now)
    {
        var parts = text.Split('\n');
        if (parts.Length is not (3 or 4) || (parts.Length == 4 && parts[3] != MsgFormat))
            return null;
        DateTimeOffset? expires = long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;
        byte[] msg;
        try
        {
            msg = Convert.FromBase64String(parts[2]);
            // Stored by an earlier version as a whole no_session_context Record: keep its Msg.
            if (parts.Length == 3)
                msg = Record.Parser.ParseFrom(msg).NoSessionContext?.Payload.ToByteArray() ?? [];
        }
        catch (Exception ex) when (ex is FormatException or InvalidProtocolBufferException)
        {
            return null;
        }
        if (msg.Length == 0)
            return null;
        return new PendingNotification
        {
            MsgId = msgId,
            ControllerEndpointId = parts[0],
            Msg = msg,
            AwaitsResponse = true,
            ExpiresAt = expires,
            Persisted = true,
            NextAttempt = now,
        };
    }
}

/// <summary>
/// The notifications not yet delivered (or not yet acknowledged), in the order they were queued. Each Controller gets
/// its notifications in that order: one that has not reached its Controller yet holds back those queued after it for
/// the same Controller, also while it waits for its retry.
/// </summary>
internal sealed class Outbox
{
    public const string PersistPrefix = "pending_notify/";
    private readonly Lock _gate = new();
    private readonly List<PendingNotification> _items = [];

    public int Count
    {
        get
        {
            lock (_gate)
                return _items.Count;
        }
    }

    public void Add(PendingNotification item)
    {
        lock (_gate)
            _items.Add(item);
    }

    /// <summary>
    /// What may be attempted now, in order. One not due yet that has not reached its Controller holds back the rest for
    /// that Controller; a due one goes first in the pass, and the sender stops the Controller's part at its first failure.
    /// </summary>
    public List<PendingNotification> Due(DateTimeOffset now)
    {
        lock (_gate)
            return NotHeldBack(i => !i.Delivered && i.NextAttempt > now).Where(i => i.NextAttempt <= now).ToList();
    }

    /// <summary>When something may next be attempted; notifications held back behind an undelivered one do not count.</summary>
    public DateTimeOffset? NextDue()
    {
        lock (_gate)
        {
            DateTimeOffset? next = null;
            foreach (var item in NotHeldBack(static i => !i.Delivered))
            {
                if (next is null || item.NextAttempt < next)
                    next = item.NextAttempt;
            }
            return next;
        }
    }

    /// <summary>
    /// The items in queue order but for those held back: one for which <paramref name="holdsBack"/> is true holds back
    /// every item queued after it for the same Controller. The caller holds the lock.
    /// </summary>
    private IEnumerable<PendingNotification> NotHeldBack(Func<PendingNotification, bool> holdsBack)
    {
        HashSet<string>? heldBack = null;
        foreach (var item in _items)
        {
            if (heldBack is not null && heldBack.Contains(item.ControllerEndpointId))
                continue;
            yield return item;
            if (holdsBack(item))
                (heldBack ??= new(StringComparer.Ordinal)).Add(item.ControllerEndpointId);
        }
    }

    public PendingNotification? Take(string msgId)
    {
        lock (_gate)
        {
            int i = _items.FindIndex(p => p.MsgId == msgId);
            if (i < 0)
                return null;
            var item = _items[i];
            _items.RemoveAt(i);
            return item;
        }
    }

    public bool Remove(PendingNotification item)
    {
        lock (_gate)
            return _items.Remove(item);
    }

    public void Clear()
    {
        lock (_gate)
            _items.Clear();
    }
}

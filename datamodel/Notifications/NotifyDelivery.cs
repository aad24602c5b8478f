using System.Globalization;
using Google.Protobuf;
using Usp.DataModel.Store;
using Usp.Proto;

namespace Usp.DataModel.Notifications;

/// <summary>
/// The Notify messages on their way to Controllers: queued (and persisted when the subscription asks), each attempt
/// wrapped for the Controller's E2E session as it is then and handed to the outbound sender, retried with the
/// Controller's USPNotifRetry parameters until its NotifyResp (R-NOT.1) or its NotifExpiration, and dropped on a
/// factory reset. <see cref="NotificationService"/>'s loop decides when; this decides what goes out.
/// </summary>
internal sealed class NotifyDelivery(DataModelStore store, Lock engineGate, UspEngineOptions options,
    Func<string, Msg, IReadOnlyList<Record>> wrap, Action wake)
{
    private readonly DataModelStore _store = store;
    private readonly Lock _engineGate = engineGate;
    private readonly IEngineLog _log = options.Log;
    private readonly TimeProvider _time = options.Time;
    private readonly IOutboundRecordSender? _sender = options.OutboundSender;
    private readonly NotifyMessages _messages = new();
    private readonly Func<string, Msg, IReadOnlyList<Record>> _wrap = wrap;
    private readonly Outbox _outbox = new();
    private readonly Random _random = new();

    /// <summary>Notifications not yet delivered or not yet acknowledged with a NotifyResp.</summary>
    public int Count => _outbox.Count;

    private DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>When the next attempt is due; null when nothing is queued.</summary>
    public DateTimeOffset? NextDue() => _outbox.NextDue();

    /// <summary>Queues a Notify for a subscription's Controller; send_resp follows NotifRetry.</summary>
    public void Enqueue(SubscriptionRow subscription, DmObject controller, Notify notify)
    {
        bool retry = subscription.NotifRetry;
        notify.SendResp = retry;
        var expiry = subscription.NotifExpirationSeconds;
        Enqueue(controller, notify, retry,
            retry && expiry > 0 ? Now + TimeSpan.FromSeconds(expiry) : null,
            persist: retry && subscription.Persistent, onAcknowledged: null);
    }

    public void Enqueue(DmObject controller, Notify notify, bool awaitResponse, DateTimeOffset? expiresAt, bool persist, Action? onAcknowledged)
    {
        var endpointId = controller.GetValue("EndpointID") ?? "";
        var msgId = _messages.NextMsgId();
        var item = new PendingNotification
        {
            MsgId = msgId,
            ControllerEndpointId = endpointId,
            Msg = NotifyMessages.Msg(msgId, notify).ToByteArray(),
            AwaitsResponse = awaitResponse,
            ExpiresAt = expiresAt,
            Persisted = persist,
            OnAcknowledged = onAcknowledged,
            NextAttempt = Now,
        };
        if (persist)
            _store.SetMeta(item.PersistKey, item.Serialize());
        _outbox.Add(item);
        wake();
    }

    /// <summary>A Response or Error Msg from a Controller (under the engine lock): NotifyResp ends retries.</summary>
    public void OnResponse(string fromEndpointId, Msg msg)
    {
        var type = msg.Header.MsgType;
        if (type is not (Header.Types.MsgType.NotifyResp or Header.Types.MsgType.Error))
            return;
        var item = _outbox.Take(msg.Header.MsgId);
        if (item is null)
            return;
        if (item.ControllerEndpointId != fromEndpointId)
        {
            _outbox.Add(item);
            _log.Warning($"{fromEndpointId} answered notification {msg.Header.MsgId}, which was sent to {item.ControllerEndpointId}; ignored.");
            return;
        }
        if (type == Header.Types.MsgType.Error)
            _log.Warning($"{fromEndpointId} answered notification {item.MsgId} with error {msg.Body?.Error?.ErrCode}: {msg.Body?.Error?.ErrMsg}");
        if (item.Persisted)
            _store.DeleteMeta(item.PersistKey);
        item.OnAcknowledged?.Invoke();
    }

    /// <summary>Drops everything queued (factory reset).</summary>
    public void DiscardPending()
    {
        _outbox.Clear();
        foreach (var (key, _) in _store.ReadMetaWithPrefix(Outbox.PersistPrefix))
            _store.DeleteMeta(key);
    }

    /// <summary>Queues again the unacknowledged notifications persisted before a restart (dropping expired ones).</summary>
    public void ReloadPersisted()
    {
        var now = Now;
        foreach (var (key, value) in _store.ReadMetaWithPrefix(Outbox.PersistPrefix))
        {
            var msgId = key[Outbox.PersistPrefix.Length..];
            if (PendingNotification.Deserialize(msgId, value, now) is { } item)
                _outbox.Add(item);
            else
                _store.DeleteMeta(key);
        }
    }

    /// <summary>Makes every due attempt; expired ones are dropped, acknowledged-only ones rescheduled.</summary>
    public async Task SendDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        // A failed attempt stops its Controller's part of this pass: what was queued after it must not arrive first.
        HashSet<string>? failed = null;
        foreach (var item in _outbox.Due(now))
        {
            if (failed is not null && failed.Contains(item.ControllerEndpointId))
                continue;
            uint minimumWait, multiplier;
            IReadOnlyList<Record> records;
            lock (_engineGate)
            {
                if (item.ExpiresAt is { } expires && now >= expires && item.Attempts > 0)
                {
                    _outbox.Remove(item);
                    if (item.Persisted)
                        _store.DeleteMeta(item.PersistKey);
                    _log.Info($"Notification {item.MsgId} to {item.ControllerEndpointId} expired unacknowledged after {item.Attempts} attempt(s) (NotifExpiration).");
                    continue;
                }
                (minimumWait, multiplier) = RetryParameters(item.ControllerEndpointId);
                records = _sender is null ? [] : Wrap(item);
            }
            var result = _sender is null
                ? new DeliveryResult(DeliveryOutcome.NoMtp, 0, "no outbound sender is configured")
                : await SendRecordsAsync(item.ControllerEndpointId, records, cancellationToken).ConfigureAwait(false);
            item.Attempts++;
            if (result.Succeeded)
                item.Delivered = true;
            else
                (failed ??= new(StringComparer.Ordinal)).Add(item.ControllerEndpointId);
            if (!result.Succeeded)
                _log.Warning($"Notification {item.MsgId} to {item.ControllerEndpointId} not delivered ({result.Outcome} {result.Code} {result.Detail}).");
            if (!item.AwaitsResponse)
            {
                _outbox.Remove(item);
                continue;
            }
            // From the end of this attempt: one exchange on a lossy link may take up to MAX_TRANSMIT_WAIT, and a wait
            // counted from its start would send the notification again before its NotifyResp could come.
            var wait = RetrySchedule.Wait(item.Attempts, minimumWait, multiplier, _random.NextDouble());
            item.NextAttempt = Now + wait;
        }
    }

    /// <summary>The Records for this attempt: in the Controller's session context when it has one (R-E2E), else no_session_context.</summary>
    private IReadOnlyList<Record> Wrap(PendingNotification item) =>
        _wrap(item.ControllerEndpointId, Msg.Parser.ParseFrom(item.Msg));

    /// <summary>Sends the Records of one attempt in order (segments of one payload); stops at the first that fails.</summary>
    private async ValueTask<DeliveryResult> SendRecordsAsync(string controllerEndpointId, IReadOnlyList<Record> records, CancellationToken cancellationToken)
    {
        var result = DeliveryResult.Delivered;
        foreach (var record in records)
        {
            try
            {
                result = await _sender!.SendAsync(controllerEndpointId, record.ToByteArray(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                result = new DeliveryResult(DeliveryOutcome.Rejected, 0, ex.Message);
            }
            if (!result.Succeeded)
                break;
        }
        return result;
    }

    private (uint MinimumWait, uint Multiplier) RetryParameters(string controllerEndpointId)
    {
        var row = _store.Tree.Find("Device.LocalAgent.")?.Table("Controller")?.Rows.FirstOrDefault(c => c.GetValue("EndpointID") == controllerEndpointId);
        uint m = Parse(row?.GetValue("USPNotifRetryMinimumWaitInterval"), 5);
        uint k = Parse(row?.GetValue("USPNotifRetryIntervalMultiplier"), 2000);
        return (m, k);

        static uint Parse(string? s, uint fallback) =>
            uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }
}

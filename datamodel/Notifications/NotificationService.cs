using Usp.DataModel.Security;
using Usp.DataModel.Store;
using Usp.Proto;

namespace Usp.DataModel.Notifications;

/// <summary>
/// Sends what the agent originates: subscription notifications, OperationComplete, Boot!,
/// Periodic!, Timer! and OnBoardRequest, retrying Notify until its NotifyResp (R-NOT.1).
/// Each attempt is wrapped for the Controller's E2E session at the time it is sent (a retry keeps
/// its msg_id but is a new Record with the session's next sequence_id). The host calls <see cref="Start"/> once the MTPs are up (or just <see cref="RunAsync"/>,
/// which starts it) and keeps <see cref="RunAsync"/> running until shutdown.
/// </summary>
public sealed class NotificationService
{
    private readonly DataModelStore _store;
    private readonly Lock _engineGate;
    private readonly IEngineLog _log;
    private readonly TimeProvider _time;
    private readonly NotifyDelivery _delivery;
    private static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(1);
    private readonly CommandTimers _timers = new();
    // Completed by Wake(), replaced once the loop has woken. A wait on it that loses to the timer is just dropped:
    // no cancelled wait, so no exception thrown and caught each time.
    private TaskCompletionSource _wake = NewWakeSignal();
    // One pass at a time: a pass owns the outbox entries' attempt counters.
    private readonly SemaphoreSlim _pumpGate = new(1, 1);
    private readonly Lock _afterGate = new();
    private readonly List<Func<CancellationToken, ValueTask>> _afterResponse = [];
    private readonly TimeSpan _pollInterval;
    private int _started;

    /// <param name="wrap">Wraps a Msg for a Controller (UspEngine.WrapForController), called under the engine lock.</param>
    internal NotificationService(DataModelStore store, Lock engineGate, UspEngineOptions options, IAccessPolicy access,
        Func<string, Msg, IReadOnlyList<Record>> wrap)
    {
        _store = store;
        _engineGate = engineGate;
        _log = options.Log;
        _time = options.Time;
        _pollInterval = options.ValueChangePollInterval;
        _delivery = new NotifyDelivery(store, engineGate, options, wrap, Wake);
        Trust = new RecipientTrust(access);
        StartedAt = _time.GetUtcNow();
        Changes = new ChangeNotifier(this);
        Poller = new ValueChangePoller(this);
        Periodic = new PeriodicNotifier(this);
        OnBoarding = new OnBoardingNotifier(this);
    }

    internal DataModelStore Store => _store;
    internal DataModelTree Tree => _store.Tree;
    internal IEngineLog Log => _log;
    internal DateTimeOffset Now => _time.GetUtcNow();
    internal DateTimeOffset StartedAt { get; }
    internal ChangeNotifier Changes { get; }
    internal RecipientTrust Trust { get; }
    internal ValueChangePoller Poller { get; }
    internal PeriodicNotifier Periodic { get; }
    internal OnBoardingNotifier OnBoarding { get; }
    /// <summary>Set by the engine: what Start() does to the data model before sending Boot!.</summary>
    internal BootNotifier? Boot { get; set; }

    /// <summary>Notifications not yet delivered or not yet acknowledged with a NotifyResp.</summary>
    public int PendingCount => _delivery.Count;

    /// <summary>
    /// Sends Boot!, drops non-persistent subscriptions and leftover Request rows, reloads the
    /// persisted unacknowledged notifications and sends due OnBoardRequests. Runs once.
    /// </summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 1)
            return;
        lock (_engineGate)
        {
            Boot?.OnStart();
            _delivery.ReloadPersisted();
            OnBoarding.OnStart();
            Poller.Invalidate();
        }
        Wake();
    }

    /// <summary>The notification loop: sends, retries, polls and fires timers until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Start();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await PumpAsync(cancellationToken).ConfigureAwait(false);
                await WaitForWorkAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    /// <summary>
    /// One pass of the loop: fires due command timers, polls live values, sends Periodic!,
    /// expires subscriptions, runs the actions queued to follow a response (restart, cancel), then
    /// sends every due notification.
    /// </summary>
    public async Task PumpAsync(CancellationToken cancellationToken = default)
    {
        await _pumpGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = Now;
            FireTimersInline(now);
            lock (_engineGate)
            {
                Changes.ExpireSubscriptions(now);
                Poller.PollIfDue(now);
                Periodic.SendDue(now);
                OnBoarding.SendDue(now);
            }
            await RunAfterResponseActionsAsync(cancellationToken).ConfigureAwait(false);
            await _delivery.SendDueAsync(now, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pumpGate.Release();
        }
    }

    /// <summary>
    /// Fires due command timers with no SynchronizationContext, so the commands' continuations
    /// (and their OperationComplete) run inline on this pass instead of being posted elsewhere.
    /// </summary>
    private void FireTimersInline(DateTimeOffset now)
    {
        var saved = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            _timers.FireDue(now);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(saved);
        }
    }

    /// <summary>
    /// For providers of computed values that can tell when they change (e.g. a HAL input):
    /// reports the new value to ValueChange subscriptions without waiting for the poll.
    /// </summary>
    public void ReportValueChanged(string parameterPath)
    {
        lock (_engineGate)
            Poller.Report(parameterPath);
        Wake();
    }

    /// <summary>
    /// Raises a data model event (e.g. from a HAL provider): every enabled Event subscription
    /// whose ReferenceList covers <paramref name="objectPath"/><paramref name="eventName"/> is notified.
    /// </summary>
    public void RaiseEvent(string objectPath, string eventName, IReadOnlyDictionary<string, string> args)
    {
        lock (_engineGate)
            Changes.EventRaised(objectPath, eventName, _ => args);
        Wake();
    }

    /// <summary>The earliest time something is due (for the loop's wait); null when nothing is scheduled.</summary>
    internal DateTimeOffset? NextDue()
    {
        DateTimeOffset? periodic, onBoarding, poll, expiry;
        lock (_engineGate)
        {
            periodic = Periodic.NextDue();
            onBoarding = OnBoarding.NextDue();
            poll = Poller.NextDue();
            expiry = Changes.NextSubscriptionExpiry();
        }
        DateTimeOffset? next = null;
        foreach (var candidate in new[] { _delivery.NextDue(), _timers.NextDue(), periodic, onBoarding, poll, expiry })
        {
            if (candidate is { } c && (next is null || c < next))
                next = c;
        }
        return next;
    }

    internal TimeSpan PollInterval => _pollInterval;

    internal Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var task = _timers.Delay(Now + delay, cancellationToken);
        Wake();
        return task;
    }

    internal void AfterResponse(Func<CancellationToken, ValueTask> action)
    {
        lock (_afterGate)
            _afterResponse.Add(action);
        Wake();
    }


    /// <summary>Queues a Notify for a subscription's Controller; send_resp follows NotifRetry.</summary>
    internal void Enqueue(SubscriptionRow subscription, DmObject controller, Notify notify) => _delivery.Enqueue(subscription, controller, notify);

    internal void Enqueue(DmObject controller, Notify notify, bool awaitResponse, DateTimeOffset? expiresAt, bool persist, Action? onAcknowledged) =>
        _delivery.Enqueue(controller, notify, awaitResponse, expiresAt, persist, onAcknowledged);

    /// <summary>A Response or Error Msg from a Controller (under the engine lock): NotifyResp ends retries.</summary>
    internal void OnResponse(string fromEndpointId, Msg msg) => _delivery.OnResponse(fromEndpointId, msg);

    /// <summary>Drops everything queued (factory reset).</summary>
    internal void DiscardPending() => _delivery.DiscardPending();

    /// <summary>Awaits the asynchronous commands running now (used at shutdown and by tests).</summary>
    internal Func<Task> OperationsIdle { get; set; } = () => Task.CompletedTask;

    public Task WhenOperationsIdleAsync() => OperationsIdle();

    internal void Wake() => Volatile.Read(ref _wake).TrySetResult();

    private static TaskCompletionSource NewWakeSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Sleeps until the next due time or a Wake(); with nothing scheduled, only a Wake() ends it, so an idle agent
    /// does no periodic work. Due times are wall-clock times: a wait is re-evaluated at least every
    /// <see cref="LongestWait"/>, so a clock step (NTP at boot) delays a due time by at most that.
    /// </summary>
    private async Task WaitForWorkAsync(CancellationToken cancellationToken)
    {
        var woken = Volatile.Read(ref _wake).Task;
        if (NextDue() is not { } due)
        {
            await woken.WaitAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.Exchange(ref _wake, NewWakeSignal());
            return;
        }
        var wait = due - Now;
        if (wait <= TimeSpan.Zero)
            return;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timer = Task.Delay(wait < LongestWait ? wait : LongestWait, _time, cts.Token);
        await Task.WhenAny(woken, timer).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false);
        // Replaced before the next pass reads the state, so a Wake() from now on wakes the wait after that pass.
        if (woken.IsCompleted)
            Interlocked.Exchange(ref _wake, NewWakeSignal());
        cancellationToken.ThrowIfCancellationRequested();
    }



    /// <summary>Starts an action with no SynchronizationContext (see <see cref="FireTimersInline"/>).</summary>
    private static ValueTask StartInline(Func<CancellationToken, ValueTask> action, CancellationToken cancellationToken)
    {
        var saved = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            return action(cancellationToken);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(saved);
        }
    }

    private async Task RunAfterResponseActionsAsync(CancellationToken cancellationToken)
    {
        List<Func<CancellationToken, ValueTask>> actions;
        lock (_afterGate)
        {
            actions = [.. _afterResponse];
            _afterResponse.Clear();
        }
        foreach (var action in actions)
        {
            try
            {
                await StartInline(action, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                _log.Error($"An action scheduled after a response failed: {ex}");
            }
        }
    }
}

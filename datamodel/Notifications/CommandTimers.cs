namespace Usp.DataModel.Notifications;

/// <summary>
/// Delays for asynchronous commands, fired by the notification loop from the engine's clock,
/// so a test advances a manual TimeProvider instead of sleeping.
/// </summary>
internal sealed class CommandTimers
{
    private readonly Lock _gate = new();
    private readonly List<Entry> _entries = [];

    private sealed class Entry(DateTimeOffset due, TaskCompletionSource done)
    {
        public DateTimeOffset Due { get; } = due;
        public TaskCompletionSource Done { get; } = done;
        public CancellationTokenRegistration Registration { get; set; }
    }

    public Task Delay(DateTimeOffset due, CancellationToken cancellationToken)
    {
        // Continuations run inline when the loop fires the timer, so a finished command is
        // reported within the same pass.
        var entry = new Entry(due, new TaskCompletionSource());
        lock (_gate)
            _entries.Add(entry);
        entry.Registration = cancellationToken.Register(() =>
        {
            lock (_gate)
                _entries.Remove(entry);
            entry.Done.TrySetCanceled(cancellationToken);
        });
        return entry.Done.Task;
    }

    public DateTimeOffset? NextDue()
    {
        lock (_gate)
            return _entries.Count == 0 ? null : _entries.Min(e => e.Due);
    }

    public void FireDue(DateTimeOffset now)
    {
        List<Entry> due;
        lock (_gate)
        {
            due = _entries.Where(e => e.Due <= now).OrderBy(e => e.Due).ToList();
            foreach (var e in due)
                _entries.Remove(e);
        }
        foreach (var e in due)
        {
            e.Registration.Dispose();
            e.Done.TrySetResult();
        }
    }
}

using Usp.DataModel.Notifications;
using Usp.DataModel.Schema;
using Usp.DataModel.Store;

namespace Usp.DataModel.Operations;

/// <summary>
/// Runs asynchronous commands, each tracked by a <c>Device.LocalAgent.Request.{i}.</c> row
/// (R-OPR.0): started once the Operate that created the row has committed, cancelled through
/// Request.{i}.Cancel(), and reported with OperationComplete before the row is removed.
/// </summary>
internal sealed class OperationRunner(NotificationService notifications, Lock engineGate, TimeProvider time, IEngineLog log)
{
    private readonly Dictionary<string, PendingStart> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Running> _running = new(StringComparer.Ordinal);

    internal sealed record PendingStart(string RequestPath, string ObjectPath, CommandSchema Command,
        IReadOnlyDictionary<string, string> InputArgs, string CommandKey, string Originator);

    private sealed record Running(CancellationTokenSource Cancel, PendingStart Start)
    {
        public Task Completion { get; set; } = Task.CompletedTask;
    }

    /// <summary>Forgets starts queued by a message whose transaction did not commit.</summary>
    public void DiscardUncommitted() => _pending.Clear();

    public void Queue(PendingStart start) => _pending[start.RequestPath] = start;

    /// <summary>Called with the rows a commit created (engine lock held): starts their operations.</summary>
    public void OnRowsCreated(IEnumerable<string> rowPaths)
    {
        foreach (var path in rowPaths)
        {
            if (!_pending.Remove(path, out var start))
                continue;
            var running = new Running(new CancellationTokenSource(), start);
            _running[path] = running;
            running.Completion = RunAsync(running);
        }
    }

    public bool IsRunning(string requestPath) => _running.ContainsKey(requestPath);

    /// <summary>
    /// Request.{i}.Cancel(). Called after the Cancel() message committed: a command that ends at
    /// once on cancellation deletes its Request row, which must not happen inside that message.
    /// </summary>
    public void Cancel(string requestPath)
    {
        lock (engineGate)
        {
            if (_running.TryGetValue(requestPath, out var running))
                running.Cancel.Cancel();
        }
    }

    public Task WhenIdleAsync()
    {
        lock (engineGate)
            return Task.WhenAll(_running.Values.Select(r => r.Completion).ToList());
    }

    private async Task RunAsync(Running running)
    {
        var start = running.Start;
        var context = new AsyncCommandContext(start.ObjectPath, start.Command.Name, start.InputArgs, start.CommandKey, start.Originator,
            start.RequestPath, time, notifications.DelayAsync, ReadLocked);
        CommandOutcome outcome;
        try
        {
            outcome = await start.Command.AsyncHandler!(context, running.Cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (running.Cancel.IsCancellationRequested)
        {
            outcome = CommandOutcome.Failure(ErrorCodes.CommandCanceled, $"{start.ObjectPath}{start.Command.Name} was canceled through {start.RequestPath}Cancel().");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            log.Error($"{start.ObjectPath}{start.Command.Name} failed: {ex}");
            outcome = CommandOutcome.Failure(ErrorCodes.CommandFailure, $"{start.Command.Name} failed inside the agent: {ex.Message}");
        }
        lock (engineGate)
        {
            _running.Remove(start.RequestPath);
            running.Cancel.Dispose();
            if (notifications.Tree.Find(start.RequestPath) is { } row)
                notifications.Changes.DeleteRows([row], "its operation completed");
            notifications.Changes.OperationCompleted(new OperationCompletion(start.ObjectPath, start.Command.Name, start.CommandKey, start.Originator, outcome));
        }
        notifications.Wake();
    }

    private object? ReadLocked(Func<DataModelTree, object?> read)
    {
        lock (engineGate)
            return read(notifications.Tree);
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Usp.Agent.Mtp;

/// <summary>
/// Records received over CoAP, handled off the receive path: one lane per Controller (from_id), so each
/// Controller's Records are handled and answered in the order they arrived while a slow or silent Controller
/// holds up no one else. A lane exists only while it has work. Bounded: beyond <see cref="MaxQueued"/> Records
/// waiting in all lanes, <see cref="TryEnqueue"/> refuses and the CoAP layer answers 5.03.
/// </summary>
internal sealed partial class InboundRecordLanes<T>(Func<T, CancellationToken, Task> handle, ILogger logger)
{
    public const int MaxQueued = 4096;

    private readonly Dictionary<string, Queue<T>> _lanes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private int _queued;

    /// <summary>Queues <paramref name="item"/> on its Controller's lane; false when full or stopping.</summary>
    /// <param name="startHere">When the item opens a new lane: called with the lane's start, to run it on the caller's
    /// own thread later (after the CoAP response is sent) instead of the thread pool. Only for an item that is quick
    /// to handle: the lane runs on that thread until its first wait.</param>
    public bool TryEnqueue(string controller, T item, Action<Action>? startHere = null)
    {
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested || _queued >= MaxQueued)
            {
                return false;
            }

            _queued++;
            if (_lanes.TryGetValue(controller, out Queue<T>? lane))
            {
                lane.Enqueue(item);
                return true;
            }

            lane = new Queue<T>();
            lane.Enqueue(item);
            _lanes.Add(controller, lane);
        }

        if (startHere is null)
        {
            Track(Task.Run(() => DrainAsync(controller, startedHere: false)));
        }
        else
        {
            startHere(() => Track(DrainAsync(controller, startedHere: true)));
        }

        return true;
    }

    private void Track(Task drain)
    {
        if (drain.IsCompleted)
        {
            return;
        }

        _running.TryAdd(drain, 0);
        _ = drain.ContinueWith(done => _running.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Stops taking Records and gives those in hand until <paramref name="cancellationToken"/> to go out.</summary>
    /// <param name="alsoInHand">More work to wait for once the lanes are done (answers they left in flight).</param>
    public async Task StopAsync(CancellationToken cancellationToken, Func<Task>? alsoInHand = null)
    {
        lock (_gate)
        {
            foreach (Queue<T> lane in _lanes.Values)
            {
                _queued -= lane.Count;
                lane.Clear();
            }
        }

        try
        {
            await Task.WhenAll(_running.Keys).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (alsoInHand is not null)
            {
                await alsoInHand().WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task DrainAsync(string controller, bool startedHere)
    {
        bool first = true;
        while (true)
        {
            // The handler may return on the CoAP receive thread (its answer's exchange completes there): finishing
            // the lane costs no thread-pool wake-up, but the next item's work goes back to the pool. Only the item
            // that opened the lane, and was judged quick, runs on the thread that started it.
            if (!(first && startedHere) && !Thread.CurrentThread.IsThreadPoolThread && HasNext(controller))
            {
                await Task.Yield();
            }

            first = false;

            T item;
            lock (_gate)
            {
                Queue<T> lane = _lanes[controller];
                if (!lane.TryDequeue(out item!))
                {
                    _lanes.Remove(controller);
                    return;
                }

                _queued--;
            }

            try
            {
                await handle(item, _stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Whatever one Record did, the lane goes on with the next.
                LogHandlingFailed(controller, e);
            }
        }
    }

    private bool HasNext(string controller)
    {
        lock (_gate)
        {
            return _lanes[controller].Count > 0;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling a USP Record from {Controller} failed.")]
    private partial void LogHandlingFailed(string controller, Exception exception);
}

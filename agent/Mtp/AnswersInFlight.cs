namespace Usp.Agent.Mtp;

/// <summary>
/// The answers each Controller's lane has handed to the network and not yet seen delivered. A lane goes on with its
/// Controller's next Record while they are in flight: the answers leave in the order the Records were handled (the
/// CoAP client then sends them one at a time per destination, NSTART), and a reply-to that went silent (a Controller
/// that restarted on another port, say) holds up nothing but its own retransmissions. A lane goes
/// on only while at most <paramref name="perController"/> of its answers are in flight (counting the one just handed over,
/// so one more may leave with the next Record), which bounds what one Controller can leave outstanding.
/// </summary>
internal sealed class AnswersInFlight(int perController)
{
    private readonly Dictionary<string, List<Task>> _byController = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Number of Controllers with answers in flight.</summary>
    public int ControllerCount
    {
        get
        {
            lock (_gate)
            {
                return _byController.Count;
            }
        }
    }

    /// <summary>
    /// Tracks <paramref name="delivery"/> (which must not fault) as one of <paramref name="controller"/>'s answers,
    /// first waiting while that Controller already has <c>perController</c> in flight.
    /// </summary>
    public async ValueTask AddAsync(string controller, Task delivery)
    {
        if (delivery.IsCompleted)
        {
            return;
        }

        while (true)
        {
            Task[] inFlightNow;
            lock (_gate)
            {
                if (!_byController.TryGetValue(controller, out List<Task>? inFlight))
                {
                    _byController.Add(controller, inFlight = []);
                }

                inFlight.RemoveAll(static t => t.IsCompleted);
                if (inFlight.Count < perController)
                {
                    inFlight.Add(delivery);
                    break;
                }

                inFlightNow = [.. inFlight];
            }

            await Task.WhenAny(inFlightNow).ConfigureAwait(false);
        }

        _ = delivery.ContinueWith(
            static (done, state) =>
            {
                var (self, controller) = ((AnswersInFlight, string))state!;
                self.Remove(controller, done);
            },
            (this, controller), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Completes when every answer in flight now has been delivered or given up.</summary>
    public Task WhenAllDone()
    {
        lock (_gate)
        {
            return Task.WhenAll(_byController.Values.SelectMany(static l => l).ToArray());
        }
    }

    private void Remove(string controller, Task done)
    {
        lock (_gate)
        {
            if (_byController.TryGetValue(controller, out List<Task>? inFlight))
            {
                inFlight.Remove(done);
                if (inFlight.Count == 0)
                {
                    _byController.Remove(controller);
                }
            }
        }
    }
}

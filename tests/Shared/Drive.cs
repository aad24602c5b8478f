namespace Usp.Tests.Support;

internal static class Drive
{
    /// <summary>
    /// Runs a task to completion on a manual clock: lets pending continuations run, then jumps to the next
    /// timer. Only virtual time passes; the iteration cap turns a logic bug into a failure instead of a hang.
    /// </summary>
    public static async Task<T> UntilDone<T>(ManualTimeProvider clock, Task<T> task)
    {
        int busyChecks = 0;
        for (int i = 0; !task.IsCompleted; i++)
        {
            if (i > 200_000)
            {
                throw new InvalidOperationException("Task did not complete while driving the manual clock.");
            }
            await Task.Yield();
            if (task.IsCompleted)
            {
                break;
            }
            // Move virtual time only when queued work had a chance to answer first (bounded, since tests
            // running in parallel keep the pool busy).
            bool poolBusy = ThreadPool.PendingWorkItemCount > 0 && busyChecks++ < 8;
            if (i % 4 != 3 || poolBusy || !clock.AdvanceToNextTimer())
            {
                await Task.Delay(1);
            }
            else
            {
                busyChecks = 0;
            }
        }
        return await task;
    }

    /// <summary>Guards an await that depends on real concurrency so a bug fails the test instead of hanging it.</summary>
    public static Task<T> WithGuard<T>(Task<T> task) => task.WaitAsync(TimeSpan.FromSeconds(60));

    public static Task WithGuard(Task task) => task.WaitAsync(TimeSpan.FromSeconds(60));
}

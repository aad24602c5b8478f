using Microsoft.Extensions.Logging.Abstractions;
using Usp.Agent.Mtp;

namespace Usp.Agent.Tests.Mtp;

public sealed class InboundRecordLanesTests
{
    [Fact]
    public async Task Each_Controllers_records_are_handled_in_arrival_order_while_a_stuck_Controller_holds_up_no_other()
    {
        var stuck = new TaskCompletionSource();
        var handled = new List<string>();
        var bDone = new TaskCompletionSource();
        var aDone = new TaskCompletionSource();
        var lanes = new InboundRecordLanes<string>(async (item, _) =>
        {
            if (item == "a1")
            {
                await stuck.Task;
            }

            lock (handled)
            {
                handled.Add(item);
            }

            if (item == "b3")
            {
                bDone.TrySetResult();
            }

            if (item == "a2")
            {
                aDone.TrySetResult();
            }
        }, NullLogger.Instance);

        Assert.True(lanes.TryEnqueue("a", "a1"));
        Assert.True(lanes.TryEnqueue("a", "a2"));
        foreach (string item in new[] { "b1", "b2", "b3" })
        {
            Assert.True(lanes.TryEnqueue("b", item));
        }

        await bDone.Task;
        lock (handled)
        {
            Assert.Equal(["b1", "b2", "b3"], handled);
        }

        stuck.SetResult();
        await aDone.Task;
        await lanes.StopAsync(CancellationToken.None);
        Assert.Equal(["b1", "b2", "b3", "a1", "a2"], handled);
    }

    [Fact]
    public async Task A_record_whose_handler_returns_on_another_thread_leaves_the_next_record_to_the_thread_pool()
    {
        // The answer's CoAP exchange completes on the receive thread; that thread must not go on to run the engine.
        var answered = new TaskCompletionSource(); // completes its awaiter inline, like the answer's exchange
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondRanOnPool = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lanes = new InboundRecordLanes<string>((item, _) =>
        {
            if (item == "first")
            {
                firstStarted.SetResult();
                return answered.Task;
            }

            secondRanOnPool.TrySetResult(Thread.CurrentThread.IsThreadPoolThread);
            return Task.CompletedTask;
        }, NullLogger.Instance);

        Assert.True(lanes.TryEnqueue("a", "first"));
        Assert.True(lanes.TryEnqueue("a", "second"));
        await firstStarted.Task;
        var receiveThread = new Thread(() => answered.SetResult()) { IsBackground = true };
        receiveThread.Start();
        receiveThread.Join();

        Assert.True(await secondRanOnPool.Task);
        await lanes.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_lane_started_here_runs_its_first_record_on_the_starting_thread_and_the_next_on_the_pool()
    {
        Action? start = null;
        int? firstThread = null;
        var secondRanOnPool = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lanes = new InboundRecordLanes<string>((item, _) =>
        {
            if (item == "first")
            {
                firstThread = Environment.CurrentManagedThreadId;
            }
            else
            {
                secondRanOnPool.TrySetResult(Thread.CurrentThread.IsThreadPoolThread);
            }

            return Task.CompletedTask;
        }, NullLogger.Instance);

        Assert.True(lanes.TryEnqueue("a", "first", s => start = s));
        Assert.True(lanes.TryEnqueue("a", "second", _ => throw new InvalidOperationException("the lane is already open")));
        Assert.Null(firstThread);
        Assert.NotNull(start);

        var receiveThread = new Thread(() => start!()) { IsBackground = true };
        receiveThread.Start();
        receiveThread.Join();

        Assert.Equal(receiveThread.ManagedThreadId, firstThread);
        Assert.True(await secondRanOnPool.Task);
        await lanes.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_record_that_throws_does_not_stop_its_lane()
    {
        var handled = new List<string>();
        var done = new TaskCompletionSource();
        var lanes = new InboundRecordLanes<string>((item, _) =>
        {
            if (item == "bad")
            {
                throw new InvalidOperationException("boom");
            }

            handled.Add(item);
            done.TrySetResult();
            return Task.CompletedTask;
        }, NullLogger.Instance);

        lanes.TryEnqueue("a", "bad");
        lanes.TryEnqueue("a", "good");
        await done.Task;

        Assert.Equal(["good"], handled);
    }

    [Fact]
    public async Task After_stop_no_record_is_taken()
    {
        var lanes = new InboundRecordLanes<string>((_, _) => Task.CompletedTask, NullLogger.Instance);
        await lanes.StopAsync(CancellationToken.None);

        Assert.False(lanes.TryEnqueue("a", "late"));
    }
}

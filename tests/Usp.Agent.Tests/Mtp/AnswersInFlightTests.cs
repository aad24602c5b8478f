using Usp.Agent.Mtp;

namespace Usp.Agent.Tests.Mtp;

public sealed class AnswersInFlightTests
{
    [Fact]
    public async Task A_Controller_at_its_limit_waits_for_its_oldest_answer_while_another_Controller_does_not_wait()
    {
        var answers = new AnswersInFlight(perController: 2);
        var first = new TaskCompletionSource();
        var second = new TaskCompletionSource();
        await answers.AddAsync("a", first.Task);
        await answers.AddAsync("a", second.Task);

        ValueTask third = answers.AddAsync("a", new TaskCompletionSource().Task);
        await answers.AddAsync("b", new TaskCompletionSource().Task);   // another Controller: not held up
        Assert.False(third.IsCompleted);

        second.SetResult();   // not the oldest, but it frees a place all the same
        await third.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, answers.ControllerCount);
    }

    [Fact]
    public async Task Delivered_answers_are_forgotten_and_WhenAllDone_waits_for_those_in_flight()
    {
        var answers = new AnswersInFlight(perController: 8);
        var delivery = new TaskCompletionSource();
        await answers.AddAsync("a", delivery.Task);
        await answers.AddAsync("b", Task.CompletedTask);
        Task all = answers.WhenAllDone();
        Assert.False(all.IsCompleted);
        Assert.Equal(1, answers.ControllerCount);

        delivery.SetResult();
        await all.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, answers.ControllerCount);
    }
}

using Usp.DataModel.Notifications;
using Usp.DataModel.Schema;
using Usp.Proto;

namespace Usp.DataModel.Tests;

public sealed class NotificationServiceTests : IDisposable
{
    private const string Controller = "Device.LocalAgent.Controller.1.";
    private readonly List<string> _directories = [];

    public void Dispose()
    {
        foreach (var d in _directories)
        {
            try
            {
                Directory.Delete(d, recursive: true);
            }
            catch (IOException)
            {
                // Leftover temp files do not affect the result.
            }
        }
    }

    private string NewDirectory()
    {
        var dir = TestAgent.NewDirectory();
        _directories.Add(dir);
        return dir;
    }

    /// <summary>A live sensor: Reading is polled, Pushed reports its own changes.</summary>
    private sealed class SensorArea : IDataModelArea
    {
        public int Reading { get; set; } = 20;
        public int Pushed { get; set; } = 1;

        public void Register(SchemaBuilder builder) =>
            builder.Object("Device.X_TEST_Sensor.")
                .Computed("Reading", ParamType.Int, _ => Reading.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Computed("Pushed", ParamType.Int, _ => Pushed.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .SignalsValueChange("Pushed");
    }

    [Fact]
    public async Task IdleAgentSchedulesNothing()
    {
        using var a = new NotifyingAgent();
        a.AddSubscription("stored", "ValueChange", "Device.LocalAgent.Controller.1.ProvisioningCode");
        await a.PumpAsync();

        Assert.Null(a.Notifications.NextDue());
    }

    [Fact]
    public async Task PolledValueAndTimeToLiveAreScheduled()
    {
        var sensor = new SensorArea();
        using var a = new NotifyingAgent(areas: [sensor]);

        a.AddSubscription("pushed", "ValueChange", "Device.X_TEST_Sensor.Pushed");
        await a.PumpAsync();
        Assert.Null(a.Notifications.NextDue());   // a value that reports its own changes is not polled

        a.AddSubscription("polled", "ValueChange", "Device.X_TEST_Sensor.Reading");
        await a.PumpAsync();
        Assert.Equal(a.Clock.GetUtcNow() + a.Notifications.PollInterval, a.Notifications.NextDue());

        a.Agent.Delete(false, "Device.LocalAgent.Subscription.[ID==\"polled\"].");
        a.AddSubscription("ttl", "ValueChange", "Device.LocalAgent.Controller.1.ProvisioningCode", ("TimeToLive", "600"));
        await a.PumpAsync();
        Assert.Equal(a.Clock.GetUtcNow() + TimeSpan.FromSeconds(600), a.Notifications.NextDue());
    }

    [Fact]
    public async Task SleepingLoopWakesForASubscriptionAddedLater()
    {
        // Real clock and the real loop: with nothing scheduled (no OnBoardRequest awaiting an answer) it sleeps
        // until a change wakes it.
        const string onboarded = """

            Device.LocalAgent.Controller.1.OnBoardingComplete "true"
            Device.LocalAgent.Controller.2.OnBoardingComplete "true"
            """;
        using var a = new TestAgent(NewDirectory(), defaults: TestAgent.Defaults + onboarded);
        using var stop = new CancellationTokenSource();
        var loop = a.Engine.Notifications.RunAsync(stop.Token);
        await Task.Delay(200);
        Assert.Null(a.Engine.Notifications.NextDue());

        var sub = a.Add(false, ("Device.LocalAgent.Subscription.",
            [("Enable", "true", true), ("ID", "short-lived", true), ("NotifType", "ValueChange", true),
             ("ReferenceList", "Device.LocalAgent.Controller.1.ProvisioningCode", true), ("TimeToLive", "1", true)]))
            .Body.Response.AddResp.CreatedObjResults[0].OperStatus.OperSuccess.InstantiatedPath;

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (a.GetInstances(true, "Device.LocalAgent.Subscription.").ReqPathResults[0].CurrInsts.Any(i => i.InstantiatedObjPath == sub))
        {
            Assert.True(DateTime.UtcNow < deadline, "the subscription outlived its TimeToLive by 29 s");
            await Task.Delay(50);
        }
        await stop.CancelAsync();
        await loop;
    }

    [Fact]
    public async Task ComputedParameterChangeIsFoundByThePollTick()
    {
        var sensor = new SensorArea();
        using var a = new NotifyingAgent(areas: [sensor]);
        a.AddSubscription("vc", "ValueChange", "Device.X_TEST_Sensor.Reading");
        await a.PumpAsync();

        sensor.Reading = 21;
        await a.PumpAsync();   // same instant: the poll interval has not elapsed
        Assert.Empty(a.Sent(Notify.NotificationOneofCase.ValueChange));
        a.Clock.Advance(TimeSpan.FromSeconds(1));
        await a.PumpAsync();

        var sent = Assert.Single(a.Sent(Notify.NotificationOneofCase.ValueChange));
        Assert.Equal("Device.X_TEST_Sensor.Reading", sent.Notify.ValueChange.ParamPath);
        Assert.Equal("21", sent.Notify.ValueChange.ParamValue);
        await a.RunForAsync(TimeSpan.FromSeconds(5));
        Assert.Single(a.Sent(Notify.NotificationOneofCase.ValueChange));   // unchanged: no repeat
    }

    [Fact]
    public async Task ProviderThatSignalsIsNotPolledButNotifiesWhenItReports()
    {
        var sensor = new SensorArea();
        using var a = new NotifyingAgent(areas: [sensor]);
        a.AddSubscription("vc", "ValueChange", "Device.X_TEST_Sensor.");
        await a.PumpAsync();

        sensor.Pushed = 2;
        await a.RunForAsync(TimeSpan.FromSeconds(3));
        Assert.Empty(a.Sent(Notify.NotificationOneofCase.ValueChange));

        a.Notifications.ReportValueChanged("Device.X_TEST_Sensor.Pushed");
        await a.PumpAsync();

        var sent = Assert.Single(a.Sent(Notify.NotificationOneofCase.ValueChange));
        Assert.Equal("Device.X_TEST_Sensor.Pushed", sent.Notify.ValueChange.ParamPath);
        Assert.Equal("2", sent.Notify.ValueChange.ParamValue);
    }

    [Fact]
    public async Task ProviderReportRightAfterTheSubscriptionIsCreatedIsNotifiedWithoutAnEarlierLoopPass()
    {
        // The value a subscription compares against is the one it had when the subscription was created, even when
        // the notification loop has not run since (a slow board: the HAL's alarm fired before the loop woke up).
        var sensor = new SensorArea();
        using var a = new NotifyingAgent(areas: [sensor]);
        a.AddSubscription("vc", "ValueChange", "Device.X_TEST_Sensor.Pushed");

        sensor.Pushed = 7;
        a.Notifications.ReportValueChanged("Device.X_TEST_Sensor.Pushed");
        await a.PumpAsync();

        var sent = Assert.Single(a.Sent(Notify.NotificationOneofCase.ValueChange));
        Assert.Equal("Device.X_TEST_Sensor.Pushed", sent.Notify.ValueChange.ParamPath);
        Assert.Equal("7", sent.Notify.ValueChange.ParamValue);
    }

    [Fact]
    public async Task UnacknowledgedNotificationOfPersistentSubscriptionSurvivesRestart()
    {
        var dir = NewDirectory();
        string msgId;
        using (var before = new NotifyingAgent(dir))
        {
            before.AddSubscription("keep", "ValueChange", Controller + "ProvisioningCode", ("NotifRetry", "true"), ("Persistent", "true"));
            before.AddSubscription("drop", "ValueChange", Controller + "ProvisioningCode");
            before.SetParam(Controller, "ProvisioningCode", "before-restart");
            await before.PumpAsync();
            msgId = before.Sent(Notify.NotificationOneofCase.ValueChange).Single(s => s.Notify.SubscriptionId == "keep").MsgId;
        }

        using var after = new NotifyingAgent(dir);
        after.Notifications.Start();
        await after.PumpAsync();

        var resent = Assert.Single(after.Sent(Notify.NotificationOneofCase.ValueChange));
        Assert.Equal(msgId, resent.MsgId);
        Assert.Equal("before-restart", resent.Notify.ValueChange.ParamValue);
        var remaining = Assert.Single(after.Instances("Device.LocalAgent.Subscription."));
        Assert.Equal("keep", after.Agent.Value(remaining + "ID"));
        // The rest pending are the start-up OnBoardRequests (OnBoardingComplete is still false).
        int pending = after.Notifications.PendingCount;
        after.NotifyResp(resent);
        Assert.Equal(pending - 1, after.Notifications.PendingCount);
    }

    [Fact]
    public async Task NotificationsQueuedWhileTheControllerIsAwayReachItInTheOrderTheyWereQueued()
    {
        using var a = new NotifyingAgent();
        a.AddSubscription("ordered", "ValueChange", Controller + "ProvisioningCode", ("NotifRetry", "true"));
        await a.PumpAsync();
        a.Sender.Result = new DeliveryResult(DeliveryOutcome.TimedOut, 0, "away");
        a.SetParam(Controller, "ProvisioningCode", "away-1");
        await a.PumpAsync();   // its exchange runs out: away-1 waits for its retry
        a.SetParam(Controller, "ProvisioningCode", "away-2");
        a.SetParam(Controller, "ProvisioningCode", "away-3");
        a.Sender.Result = DeliveryResult.Delivered;   // back before away-1's retry is due
        int whileAway = a.Sent(Notify.NotificationOneofCase.ValueChange).Count();

        await a.PumpAsync();
        Assert.Equal(whileAway, a.Sent(Notify.NotificationOneofCase.ValueChange).Count());   // away-2 and away-3 wait for away-1
        await a.RunForAsync(TimeSpan.FromSeconds(30));

        string[] arrived = a.Sent(Notify.NotificationOneofCase.ValueChange).Skip(whileAway)
            .Select(s => s.Notify.ValueChange.ParamValue).Distinct().ToArray();
        Assert.Equal(["away-1", "away-2", "away-3"], arrived);
    }

    [Fact]
    public async Task NotificationWithoutRetryIsSentOnceEvenWhenDeliveryFails()
    {
        using var a = new NotifyingAgent();
        a.Sender.Result = new DeliveryResult(DeliveryOutcome.Rejected, 404, "Not Found");
        a.AddSubscription("once", "ValueChange", Controller + "ProvisioningCode");
        a.SetParam(Controller, "ProvisioningCode", "x");

        await a.RunForAsync(TimeSpan.FromSeconds(30));

        var sent = Assert.Single(a.Sent(Notify.NotificationOneofCase.ValueChange));
        Assert.False(sent.Notify.SendResp);
        Assert.Equal(0, a.Notifications.PendingCount);
    }

    [Fact]
    public async Task A_retry_waits_its_interval_from_the_end_of_a_slow_attempt()
    {
        // One CoAP exchange on a lossy link may take up to MAX_TRANSMIT_WAIT (93 s). Counted from the attempt's start,
        // the wait would be over before the NotifyResp could come, and the notification would go again at once.
        using var a = new NotifyingAgent();
        a.AddSubscription("slow", "ValueChange", Controller + "ProvisioningCode", ("NotifRetry", "true"));
        a.Sender.DuringSend = s =>
        {
            if (s.Notify.SubscriptionId == "slow" && a.Sent(Notify.NotificationOneofCase.ValueChange).Count() == 1)
                a.Clock.Advance(TimeSpan.FromSeconds(40));
        };
        a.SetParam(Controller, "ProvisioningCode", "x");
        await a.PumpAsync();
        await a.RunForAsync(TimeSpan.FromSeconds(30));

        var attempts = a.Sent(Notify.NotificationOneofCase.ValueChange).Where(s => s.Notify.SubscriptionId == "slow").ToList();
        Assert.True(attempts.Count >= 2, $"{attempts.Count} attempts");
        Assert.Equal(attempts[0].MsgId, attempts[1].MsgId);
        // The first retry waits 5-10 s (the defaults) after the 40 s attempt ended.
        Assert.InRange(attempts[1].At - attempts[0].At, TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(51));
    }

    [Fact]
    public async Task DisabledSubscriptionOrRecipientDoesNotNotify()
    {
        using var a = new NotifyingAgent();
        var sub = a.AddSubscription("off", "ValueChange", Controller + "ProvisioningCode");
        a.SetParam(sub, "Enable", "false");
        a.SetParam(Controller, "ProvisioningCode", "x");
        await a.PumpAsync();
        Assert.Empty(a.Sender.Sent);
    }

    [Theory]
    [InlineData(1, 5, 10)]
    [InlineData(2, 10, 20)]
    [InlineData(3, 20, 40)]
    [InlineData(10, 2560, 5120)]
    [InlineData(15, 2560, 5120)]
    public void RetryRangesFollowTr369(int retry, double min, double max)
    {
        Assert.Equal((min, max), RetrySchedule.Range(retry, 5, 2000));
        Assert.Equal(TimeSpan.FromSeconds(min), RetrySchedule.Wait(retry, 5, 2000, 0));
    }

    [Fact]
    public void PeriodicScheduleAlignsOnReferenceTime()
    {
        var reference = new DateTimeOffset(2019, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 30, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 1, 0, TimeSpan.Zero), PeriodicSchedule.NextAtOrAfter(reference, TimeSpan.FromSeconds(60), now));
        Assert.Equal(now, PeriodicSchedule.NextAtOrAfter(now, TimeSpan.FromSeconds(60), now));
    }
}

public sealed class NotificationLoopTests
{
    private sealed class SignallingSender : IOutboundRecordSender
    {
        public TaskCompletionSource<Usp.Proto.Msg> FirstBoot { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<DeliveryResult> SendAsync(string controllerEndpointId, ReadOnlyMemory<byte> record, CancellationToken cancellationToken)
        {
            var msg = Usp.Proto.Msg.Parser.ParseFrom(Usp.Proto.Record.Parser.ParseFrom(record.Span).NoSessionContext.Payload);
            if (msg.Body.Request.Notify.Event?.EventName == "Boot!")
                FirstBoot.TrySetResult(msg);
            return ValueTask.FromResult(DeliveryResult.Delivered);
        }
    }

    [Fact]
    public async Task RunAsyncSendsBootAndStopsWhenCancelled()
    {
        var sender = new SignallingSender();
        var dir = TestAgent.NewDirectory();
        using (var first = new TestAgent(dir))
            first.Add(false, ("Device.LocalAgent.Subscription.",
                [("Enable", "true", true), ("ID", "boot", true), ("NotifType", "Event", true), ("ReferenceList", "Device.Boot!", true), ("Persistent", "true", true)]));
        using var agent = new TestAgent(dir, hooks: new AgentHooks(Sender: sender));
        using var stop = new CancellationTokenSource();

        var loop = agent.Engine.Notifications.RunAsync(stop.Token);
        var boot = await sender.FirstBoot.Task.WaitAsync(TimeSpan.FromMinutes(1));
        await stop.CancelAsync();
        await loop;

        Assert.Equal("boot", boot.Body.Request.Notify.SubscriptionId);
        Assert.Equal("LocalReboot", boot.Body.Request.Notify.Event.Params["Cause"]);
        Assert.True(loop.IsCompletedSuccessfully);
        Directory.Delete(dir, recursive: true);
    }
}

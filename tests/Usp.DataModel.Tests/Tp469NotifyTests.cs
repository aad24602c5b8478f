using Usp.Proto;

namespace Usp.DataModel.Tests;

public sealed class Tp469NotifyTests : IDisposable
{
    private const string Controller = "Device.LocalAgent.Controller.1.";
    private const string ProvisioningCode = Controller + "ProvisioningCode";
    private readonly NotifyingAgent _a = new();

    public void Dispose() => _a.Dispose();

    private IReadOnlyList<SentNotify> ValueChanges => _a.Sent(Notify.NotificationOneofCase.ValueChange).ToList();

    [Fact]
    public async Task Tp469_1_52_ValueChangeNotifiedAsSoonAsSetCommits()
    {
        _a.AddSubscription("notify52", "ValueChange", ProvisioningCode, ("NotifRetry", "true"));

        _a.SetParam(Controller, "ProvisioningCode", "TestValue52");
        // Queued by the commit itself: no poll interval has passed, the clock has not moved.
        Assert.Equal(1, _a.Notifications.PendingCount);
        await _a.PumpAsync();

        var sent = Assert.Single(ValueChanges);
        Assert.Equal(TestAgent.ControllerId, sent.To);
        Assert.Equal("notify52", sent.Notify.SubscriptionId);
        Assert.True(sent.Notify.SendResp);
        Assert.Equal(ProvisioningCode, sent.Notify.ValueChange.ParamPath);
        Assert.Equal("TestValue52", sent.Notify.ValueChange.ParamValue);
        Assert.Equal(NotifyingAgent.Start, sent.At);
    }

    [Fact]
    public async Task Tp469_1_84_SubscriptionWithSearchPathNotifiesTheModifiedInstance()
    {
        var first = _a.Agent.AddBootParameter(Controller, "Device.DeviceInfo.SerialNumber", enable: true);
        var second = _a.Agent.AddBootParameter(Controller, "Device.DeviceInfo.Manufacturer", enable: true);

        var added = _a.Agent.Add(false, ("Device.LocalAgent.Subscription.",
            [("Enable", "true", false), ("ID", "notify84", false), ("NotifType", "ValueChange", false),
             ("ReferenceList", Controller + "BootParameter.*.Enable", true)]));
        Assert.Equal(Header.Types.MsgType.AddResp, added.Header.MsgType);
        var created = Assert.Single(added.Body.Response.AddResp.CreatedObjResults);
        Assert.StartsWith("Device.LocalAgent.Subscription.", created.OperStatus.OperSuccess.InstantiatedPath);

        _a.SetParam(second, "Enable", "false");
        await _a.PumpAsync();

        var sent = Assert.Single(ValueChanges);
        Assert.Equal(TestAgent.ControllerId, sent.To);
        Assert.Equal("notify84", sent.Notify.SubscriptionId);
        Assert.Equal(second + "Enable", sent.Notify.ValueChange.ParamPath);
        Assert.Equal("false", sent.Notify.ValueChange.ParamValue);
        Assert.Equal("true", _a.Agent.Value(first + "Enable"));
    }

    [Fact]
    public async Task Tp469_1_53_DeletedSubscriptionNoLongerNotifies()
    {
        var sub = _a.AddSubscription("notify53", "ValueChange", ProvisioningCode, ("NotifRetry", "true"));
        _a.SetParam(Controller, "ProvisioningCode", "TestValue53");
        await _a.PumpAsync();
        _a.NotifyResp(Assert.Single(ValueChanges));

        var resp = _a.Agent.Delete(false, sub);
        Assert.Equal(Header.Types.MsgType.DeleteResp, resp.Header.MsgType);
        _a.SetParam(Controller, "ProvisioningCode", "notify53-2");
        await _a.RunForAsync(TimeSpan.FromSeconds(20));

        Assert.Single(ValueChanges);
        Assert.Equal(0, _a.Notifications.PendingCount);
    }

    [Fact]
    public async Task Tp469_1_54_NotifyRetryUntilNotifyResp()
    {
        _a.AddSubscription("notify54", "ValueChange", ProvisioningCode, ("NotifRetry", "true"));
        _a.SetParam(Controller, "ProvisioningCode", "TestValue54");
        await _a.PumpAsync();

        await _a.RunForAsync(TimeSpan.FromSeconds(30));

        var sends = ValueChanges;
        Assert.True(sends.Count >= 3, $"expected the first send and two retries, got {sends.Count}");
        Assert.All(sends, s => Assert.Equal(sends[0].MsgId, s.MsgId));
        var firstRetry = sends[1].At - sends[0].At;
        var secondRetry = sends[2].At - sends[1].At;
        Assert.InRange(firstRetry.TotalSeconds, 5, 10);
        Assert.InRange(secondRetry.TotalSeconds, 10, 20);

        _a.NotifyResp(sends[^1]);
        Assert.Equal(0, _a.Notifications.PendingCount);
        int before = ValueChanges.Count;
        await _a.RunForAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(before, ValueChanges.Count);
    }

    [Fact]
    public async Task Tp469_1_55_SubscriptionRemovedAfterTimeToLive()
    {
        var sub = _a.AddSubscription("notify55", "ValueChange", ProvisioningCode, ("NotifRetry", "true"), ("TimeToLive", "20"));
        _a.SetParam(Controller, "ProvisioningCode", "TestValue55");
        await _a.PumpAsync();
        _a.NotifyResp(Assert.Single(ValueChanges));

        await _a.RunForAsync(TimeSpan.FromSeconds(20));

        Assert.DoesNotContain(sub, _a.Instances("Device.LocalAgent.Subscription."));
        _a.SetParam(Controller, "ProvisioningCode", "TestValue55-2");
        await _a.RunForAsync(TimeSpan.FromSeconds(10));
        Assert.Single(ValueChanges);
    }

    [Fact]
    public async Task Tp469_1_56_RetriesStopAtNotifExpiration()
    {
        _a.AddSubscription("notify56", "ValueChange", ProvisioningCode, ("NotifRetry", "true"), ("NotifExpiration", "20"));
        _a.SetParam(Controller, "ProvisioningCode", "TestValue56");
        await _a.PumpAsync();

        await _a.RunForAsync(TimeSpan.FromSeconds(90));

        var sends = ValueChanges;
        Assert.True(sends.Count >= 2, "the notification is retried before it expires");
        Assert.All(sends, s => Assert.True(s.At - NotifyingAgent.Start < TimeSpan.FromSeconds(20), $"sent at +{(s.At - NotifyingAgent.Start).TotalSeconds}s"));
        Assert.Equal(0, _a.Notifications.PendingCount);
    }

    [Fact]
    public async Task Tp469_1_57_ObjectCreationNotification()
    {
        _a.AddSubscription("notify57", "ObjectCreation", "Device.LocalAgent.Subscription.", ("NotifRetry", "true"));

        var created = _a.AddSubscription("notify57-2", "ValueChange", ProvisioningCode, ("NotifRetry", "true"));
        await _a.PumpAsync();

        var sent = Assert.Single(_a.Sent(Notify.NotificationOneofCase.ObjCreation));
        Assert.Equal("notify57", sent.Notify.SubscriptionId);
        Assert.Equal(created, sent.Notify.ObjCreation.ObjPath);
        Assert.Equal("notify57-2", sent.Notify.ObjCreation.UniqueKeys["ID"]);
        Assert.Equal("Device.LocalAgent.Controller.1", sent.Notify.ObjCreation.UniqueKeys["Recipient"]);
    }

    [Fact]
    public async Task Tp469_1_58_ObjectDeletionNotification()
    {
        var existing = _a.AddSubscription("existing58", "ValueChange", ProvisioningCode);
        _a.AddSubscription("notify58", "ObjectDeletion", "Device.LocalAgent.Subscription.", ("NotifRetry", "true"));

        _a.Agent.Delete(false, existing);
        await _a.PumpAsync();

        var sent = Assert.Single(_a.Sent(Notify.NotificationOneofCase.ObjDeletion));
        Assert.Equal("notify58", sent.Notify.SubscriptionId);
        Assert.Equal(existing, sent.Notify.ObjDeletion.ObjPath);
    }

    [Fact]
    public async Task Tp469_1_59_PeriodicEventEveryInterval()
    {
        _a.SetParam(Controller, "PeriodicNotifInterval", "60");
        _a.SetParam(Controller, "PeriodicNotifTime", "2019-01-01T00:00:00Z");
        _a.AddSubscription("sub-103", "Event", "Device.LocalAgent.Periodic!");

        await _a.PumpAsync();
        await _a.RunForAsync(TimeSpan.FromSeconds(150));

        var periodic = _a.Sent(Notify.NotificationOneofCase.Event).ToList();
        Assert.True(periodic.Count >= 2);
        Assert.All(periodic, p =>
        {
            Assert.Equal("Device.LocalAgent.", p.Notify.Event.ObjPath);
            Assert.Equal("Periodic!", p.Notify.Event.EventName);
            Assert.Equal("sub-103", p.Notify.SubscriptionId);
        });
        // Aligned on PeriodicNotifTime + k·60 s, 60 s apart.
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 1, 0, TimeSpan.Zero), periodic[0].At);
        Assert.Equal(TimeSpan.FromSeconds(60), periodic[1].At - periodic[0].At);
    }

    [Fact]
    public async Task Tp469_1_60_SendOnBoardRequestNotifies()
    {
        Assert.Null(_a.Operate(Controller + "SendOnBoardRequest()", "test60", sendResp: false));
        await _a.PumpAsync();

        var sent = Assert.Single(_a.Sent(Notify.NotificationOneofCase.OnBoardReq));
        Assert.Equal(TestAgent.ControllerId, sent.To);
        Assert.Equal("", sent.Notify.SubscriptionId);
        Assert.True(sent.Notify.SendResp);
        Assert.Equal("00D09E", sent.Notify.OnBoardReq.Oui);
        Assert.Equal("Gateway", sent.Notify.OnBoardReq.ProductClass);
        Assert.Equal("SN-0001", sent.Notify.OnBoardReq.SerialNumber);
        Assert.Equal("1.3,1.4", sent.Notify.OnBoardReq.AgentSupportedProtocolVersions);
    }

    [Fact]
    public async Task Tp469_1_60_OnBoardRequestOfADeviceWithoutConfiguredIdentityCarriesTheDerivedOne()
    {
        // The shipped factory defaults leave ManufacturerOUI, SerialNumber (and here ProductClass) to the device.
        using var root = new FakeSystemRoot().Interface("eth0", 2, "dc:a6:32:01:02:03");
        var defaults = string.Join('\n', TestAgent.Defaults.Split('\n')
            .Where(l => !l.Contains("ManufacturerOUI", StringComparison.Ordinal) && !l.Contains("SerialNumber", StringComparison.Ordinal)
                && !l.Contains("ProductClass", StringComparison.Ordinal)));
        using var a = new NotifyingAgent(defaults: defaults, identity: root.Settings());

        Assert.Null(a.Operate(Controller + "SendOnBoardRequest()", "test60", sendResp: false));
        await a.PumpAsync();

        var sent = Assert.Single(a.Sent(Notify.NotificationOneofCase.OnBoardReq));
        Assert.Equal("", sent.Notify.SubscriptionId);
        Assert.Equal("DCA632", sent.Notify.OnBoardReq.Oui);
        Assert.Equal(DeviceIdentityDefaults.DefaultProductClass, sent.Notify.OnBoardReq.ProductClass);
        Assert.Equal("DCA632010203", sent.Notify.OnBoardReq.SerialNumber);
        Assert.Equal("1.3,1.4", sent.Notify.OnBoardReq.AgentSupportedProtocolVersions);
    }

    [Fact]
    public void Tp469_1_78_SubscriptionsOfDeletedControllerAreRemoved()
    {
        // The secondary Controller needs a Role that lets it create Subscriptions.
        _a.Agent.Set(false, ("Device.LocalAgent.Controller.2.", [("AssignedRole", "Device.LocalAgent.ControllerTrust.Role.1", true)]));
        var resp = _a.Agent.Send(new Request
        {
            Add = new Add
            {
                CreateObjs =
                {
                    new Add.Types.CreateObject
                    {
                        ObjPath = "Device.LocalAgent.Subscription.",
                        ParamSettings =
                        {
                            new Add.Types.CreateParamSetting { Param = "ID", Value = "secondary" },
                            new Add.Types.CreateParamSetting { Param = "NotifType", Value = "ValueChange" },
                            new Add.Types.CreateParamSetting { Param = "ReferenceList", Value = ProvisioningCode },
                        },
                    },
                },
            },
        }, Header.Types.MsgType.Add, from: TestAgent.OtherControllerId);
        var secondarySub = resp.Body.Response.AddResp.CreatedObjResults[0].OperStatus.OperSuccess.InstantiatedPath;
        var primarySub = _a.AddSubscription("primary", "ValueChange", ProvisioningCode);
        Assert.Equal("Device.LocalAgent.Controller.2", _a.Agent.Value(secondarySub + "Recipient"));

        var deleted = _a.Agent.Delete(false, "Device.LocalAgent.Controller.2.");

        Assert.Equal(Header.Types.MsgType.DeleteResp, deleted.Header.MsgType);
        var subs = _a.Instances("Device.LocalAgent.Subscription.");
        Assert.DoesNotContain(secondarySub, subs);
        Assert.Contains(primarySub, subs);
    }

    [Fact]
    public async Task Tp469_1_93_TriggerActionConfigAppliesSettingsWithoutNotify()
    {
        var sub = _a.AddSubscription("notify93", "ValueChange", ProvisioningCode, ("TriggerAction", "Config"), ("NotifRetry", "true"));
        _a.SetParam(sub, "TriggerConfigSettings", sub + "Enable=false");

        _a.SetParam(Controller, "ProvisioningCode", "TestValue93");
        await _a.PumpAsync();

        Assert.Equal("false", _a.Agent.Value(sub + "Enable"));
        Assert.Empty(ValueChanges);
    }

    [Fact]
    public async Task Tp469_1_94_TriggerActionNotifyAndConfig()
    {
        var sub = _a.AddSubscription("notify94", "ValueChange", ProvisioningCode, ("TriggerAction", "NotifyAndConfig"), ("NotifRetry", "true"));
        _a.SetParam(sub, "TriggerConfigSettings", sub + "Enable=false");

        _a.SetParam(Controller, "ProvisioningCode", "TestValue94");
        await _a.PumpAsync();

        var sent = Assert.Single(ValueChanges);
        Assert.Equal("notify94", sent.Notify.SubscriptionId);
        Assert.Equal(ProvisioningCode, sent.Notify.ValueChange.ParamPath);
        Assert.Equal("TestValue94", sent.Notify.ValueChange.ParamValue);
        _a.NotifyResp(sent);
        Assert.Equal("false", _a.Agent.Value(sub + "Enable"));
    }

    [Fact]
    public async Task Tp469_1_101_SendOnBoardRequestClearsOnBoardingComplete()
    {
        _a.SetParam(Controller, "OnBoardingComplete", "true");

        Assert.Null(_a.Operate(Controller + "SendOnBoardRequest()", "test101", sendResp: false));
        await _a.PumpAsync();
        _a.NotifyResp(Assert.Single(_a.Sent(Notify.NotificationOneofCase.OnBoardReq)));

        Assert.Equal("false", _a.Agent.Value(Controller + "OnBoardingComplete"));
        _a.SetParam(Controller, "OnBoardingComplete", "true");
        Assert.Equal("true", _a.Agent.Value(Controller + "OnBoardingComplete"));
    }

    [Fact]
    public async Task Tp469_1_102_OnBoardRequestRepeatedAfterRestartTime()
    {
        _a.SetParam(Controller, "OnBoardingRestartTime", "60");
        _a.Operate(Controller + "SendOnBoardRequest()", "test102", sendResp: false);
        await _a.PumpAsync();
        var first = Assert.Single(_a.Sent(Notify.NotificationOneofCase.OnBoardReq));
        await _a.RunForAsync(TimeSpan.FromSeconds(2));
        var acknowledgedAt = _a.Clock.GetUtcNow();
        _a.NotifyResp(first);

        await _a.RunForAsync(TimeSpan.FromSeconds(60));

        var sends = _a.Sent(Notify.NotificationOneofCase.OnBoardReq).ToList();
        Assert.Equal(2, sends.Count);
        Assert.Equal(acknowledgedAt + TimeSpan.FromSeconds(60), sends[1].At);
        _a.NotifyResp(sends[1]);
        _a.SetParam(Controller, "OnBoardingComplete", "true");
        await _a.RunForAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(2, _a.Sent(Notify.NotificationOneofCase.OnBoardReq).Count());
    }

    [Fact]
    public async Task Tp469_1_103_OnBoardingRestartTimeZeroSendsOnce()
    {
        _a.SetParam(Controller, "OnBoardingRestartTime", "0");
        _a.Operate(Controller + "SendOnBoardRequest()", "test103", sendResp: false);
        await _a.PumpAsync();
        _a.NotifyResp(Assert.Single(_a.Sent(Notify.NotificationOneofCase.OnBoardReq)));

        await _a.RunForAsync(TimeSpan.FromSeconds(60));

        Assert.Single(_a.Sent(Notify.NotificationOneofCase.OnBoardReq));
        Assert.Equal(0, _a.Notifications.PendingCount);
    }
}

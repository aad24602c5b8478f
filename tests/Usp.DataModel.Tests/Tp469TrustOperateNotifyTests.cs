using System.Globalization;
using Usp.DataModel.Records;
using Usp.Proto;

namespace Usp.DataModel.Tests;

/// <summary>
/// Controller trust applied to Operate, the Request table and notifications, at message level:
/// Operate Records in, OperateResp out, and the Notify Records the engine hands to its sender.
/// Controller.2 holds the UntrustedRole (Role.3), which tests extend when they need it to act.
/// </summary>
public sealed class Tp469TrustOperateNotifyTests : IDisposable
{
    private const string Trust = "Device.LocalAgent.ControllerTrust.";
    private const string TestRole = Trust + "Role.2.";
    private const string UntrustedRole = Trust + "Role.3.";
    private const string Controller1 = "Device.LocalAgent.Controller.1.";
    private readonly ManualClock _clock = new(NotifyingAgent.Start);
    private readonly RecordingSender _sender;
    private readonly RecordingRestart _restart = new();
    private readonly TestAgent _agent;
    private int _orders;
    private int _msgIds;

    public Tp469TrustOperateNotifyTests()
    {
        _sender = new RecordingSender(_clock);
        _agent = new TestAgent(defaults: Tp469TrustTests.TrustDefaults, hooks: new AgentHooks(_clock, _sender, _restart,
            Areas: [new SecretArea()]));
    }

    public void Dispose() => _agent.Dispose();

    private sealed class SecretArea : Schema.IDataModelArea
    {
        public void Register(Schema.SchemaBuilder builder) =>
            builder.Object("Device.X_EXAMPLE_Secret.")
                .Param("Label", Schema.ParamType.String, Schema.ParamAccess.ReadWrite, "secret-holder")
                .Param("Key", Schema.ParamType.String, Schema.ParamAccess.ReadWrite, "s3cr3t", secured: true);
    }

    /// <summary>Adds a Permission to <paramref name="role"/>; Orders are unique per test so later ones win.</summary>
    private void Allow(string targets, string param, string obj, string inst, string cmd, string role = TestRole)
    {
        var order = (++_orders).ToString(CultureInfo.InvariantCulture);
        var resp = _agent.Add(false, (role + "Permission.",
            [("Enable", "true", true), ("Targets", targets, true), ("Param", param, true), ("Obj", obj, true),
             ("InstantiatedObj", inst, true), ("CommandEvent", cmd, true), ("Order", order, true)]));
        Assert.NotNull(Assert.Single(resp.Body.Response.AddResp.CreatedObjResults).OperStatus.OperSuccess);
    }

    private void AllowSubscriptions(string role = TestRole) =>
        Allow("Device.LocalAgent.Subscription.", "rw--", "rw--", "rw--", "----", role);

    private string Subscribe(string from, string id, string notifType, string referenceList)
    {
        var add = new Add
        {
            CreateObjs =
            {
                new Add.Types.CreateObject
                {
                    ObjPath = "Device.LocalAgent.Subscription.",
                    ParamSettings =
                    {
                        new Add.Types.CreateParamSetting { Param = "Enable", Value = "true", Required = true },
                        new Add.Types.CreateParamSetting { Param = "ID", Value = id, Required = true },
                        new Add.Types.CreateParamSetting { Param = "NotifType", Value = notifType, Required = true },
                        new Add.Types.CreateParamSetting { Param = "ReferenceList", Value = referenceList, Required = true },
                    },
                },
            },
        };
        var resp = _agent.Send(new Request { Add = add }, Header.Types.MsgType.Add, from);
        Assert.Equal(Header.Types.MsgType.AddResp, resp.Header.MsgType);
        return Assert.Single(resp.Body.Response.AddResp.CreatedObjResults).OperStatus.OperSuccess.InstantiatedPath;
    }

    /// <summary>An Operate Record from <paramref name="from"/>; the OperateResp (or Error), or null when nothing was answered.</summary>
    private Msg? Operate(string from, string command, bool sendResp, params (string Key, string Value)[] args)
    {
        var operate = new Usp.Proto.Operate { Command = command, CommandKey = "key-" + (_msgIds + 1), SendResp = sendResp };
        foreach (var (k, v) in args)
            operate.InputArgs[k] = v;
        var msg = new Msg
        {
            Header = new Header { MsgId = "trust-op-" + ++_msgIds, MsgType = Header.Types.MsgType.Operate },
            Body = new Body { Request = new Request { Operate = operate } },
        };
        var result = _agent.Engine.HandleRecord(TestAgent.EncodeRecord(msg, from), new SenderIdentity(from));
        Assert.False(result.Dropped, result.DropReason);
        return result.Responses.Count == 0 ? null : Msg.Parser.ParseFrom(Assert.Single(result.Responses).NoSessionContext.Payload);
    }

    private OperateResp OperateResp(string from, string command, params (string Key, string Value)[] args)
    {
        var resp = Operate(from, command, sendResp: true, args);
        Assert.Equal(Header.Types.MsgType.OperateResp, resp!.Header.MsgType);
        return resp.Body.Response.OperateResp;
    }

    private Task PumpAsync() => _agent.Engine.Notifications.PumpAsync();

    private async Task RunForAsync(TimeSpan duration)
    {
        var end = _clock.GetUtcNow() + duration;
        while (_clock.GetUtcNow() < end)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            await PumpAsync();
        }
    }

    private List<SentNotify> Sent(Notify.NotificationOneofCase kind) =>
        _sender.Sent.Where(s => s.Notify.NotificationCase == kind).ToList();

    // ---- Operate ----

    [Fact]
    public async Task Tp469_2_17_OperationAllowed()
    {
        Allow("Device.Reboot()", "rwxn", "rwxn", "rwxn", "r-x-");

        var resp = Operate(TestAgent.ControllerId, "Device.Reboot()", sendResp: true);

        Assert.Equal(Header.Types.MsgType.OperateResp, resp!.Header.MsgType);
        var result = Assert.Single(resp.Body.Response.OperateResp.OperationResults);
        Assert.Equal("Device.Reboot()", result.ExecutedCommand);
        Assert.NotNull(result.ReqOutputArgs);
        await PumpAsync();
        Assert.Equal([Operations.RestartReason.Reboot], _restart.Calls);
    }

    [Fact]
    public async Task Tp469_2_18_OperationNotAllowed()
    {
        Allow("Device.Reboot()", "rwxn", "rwxn", "rwxn", "r---");

        // The test plan's Operate leaves send_resp false: the failure is still reported (R-OPR.4).
        var resp = Operate(TestAgent.ControllerId, "Device.Reboot()", sendResp: false);

        Assert.Equal(Header.Types.MsgType.OperateResp, resp!.Header.MsgType);
        var result = Assert.Single(resp.Body.Response.OperateResp.OperationResults);
        Assert.Equal("Device.Reboot()", result.ExecutedCommand);
        Assert.Equal(ErrorCodes.PermissionDenied, result.CmdFailure.ErrCode);
        await PumpAsync();
        Assert.Empty(_restart.Calls);
    }

    private string SubscribeToPeriodicNotifInterval(string param)
    {
        Allow("Device.LocalAgent.Controller.1.PeriodicNotifInterval", param, "rwxn", "rwxn", "rwxn");
        Allow("Device.LocalAgent.Subscription.", "rwxn", "rwxn", "rwxn", "rwxn");
        var resp = _agent.Add(false, ("Device.LocalAgent.Subscription.",
            [("Enable", "true", false), ("NotifType", "ValueChange", false), ("ReferenceList", "Device.LocalAgent.Controller.1.PeriodicNotifInterval", false)]));
        var subscription = Assert.Single(resp.Body.Response.AddResp.CreatedObjResults).OperStatus.OperSuccess.InstantiatedPath;
        Assert.StartsWith("Device.LocalAgent.Subscription.", subscription);

        var set = _agent.Set(false, ("Device.LocalAgent.Controller.1.", [("PeriodicNotifInterval", "600", true)]));
        var updated = Assert.Single(Assert.Single(set.Body.Response.SetResp.UpdatedObjResults).OperStatus.OperSuccess.UpdatedInstResults);
        Assert.Equal("Device.LocalAgent.Controller.1.", updated.AffectedPath);
        Assert.Equal("600", updated.UpdatedParams["PeriodicNotifInterval"]);
        return _agent.Value(subscription + "ID");
    }

    [Fact]
    public async Task Tp469_2_19_ValueChangeNotificationAllowedOnParameter()
    {
        var id = SubscribeToPeriodicNotifInterval("rw-n");

        await PumpAsync();

        var sent = Assert.Single(Sent(Notify.NotificationOneofCase.ValueChange));
        Assert.Equal(TestAgent.ControllerId, sent.To);
        Assert.Equal(id, sent.Notify.SubscriptionId);
        Assert.Equal("Device.LocalAgent.Controller.1.PeriodicNotifInterval", sent.Notify.ValueChange.ParamPath);
        Assert.Equal("600", sent.Notify.ValueChange.ParamValue);
    }

    [Fact]
    public async Task Tp469_2_20_ValueChangeNotificationNotAllowedOnParameter()
    {
        SubscribeToPeriodicNotifInterval("rw--");

        await RunForAsync(TimeSpan.FromSeconds(30));

        Assert.Empty(Sent(Notify.NotificationOneofCase.ValueChange));
        Assert.Equal(0, _agent.Engine.Notifications.PendingCount);
    }


    [Theory]
    [InlineData("Device.LocalAgent.Controller.*.SendOnBoardRequest()")]
    [InlineData("Device.LocalAgent.Controller.[Enable==true].SendOnBoardRequest()")]
    public async Task Tp469_2_18_SearchPathOperateIsCheckedPerInstance(string command)
    {
        Allow(Controller1 + "SendOnBoardRequest()", "----", "----", "----", "r-x-");

        var results = OperateResp(TestAgent.ControllerId, command).OperationResults;

        Assert.Equal(2, results.Count);
        Assert.NotNull(Assert.Single(results, r => r.ExecutedCommand == Controller1 + "SendOnBoardRequest()").ReqOutputArgs);
        var denied = Assert.Single(results, r => r.ExecutedCommand == "Device.LocalAgent.Controller.2.SendOnBoardRequest()");
        Assert.Equal(ErrorCodes.PermissionDenied, denied.CmdFailure.ErrCode);
        await PumpAsync();
        Assert.Equal(TestAgent.ControllerId, Assert.Single(Sent(Notify.NotificationOneofCase.OnBoardReq)).To);
    }

    [Fact]
    public void Tp469_2_18_DeniedAsyncCommandCreatesNoRequestRow()
    {
        Allow("Device.ScheduleTimer()", "----", "----", "----", "r---");

        var result = Assert.Single(OperateResp(TestAgent.ControllerId, "Device.ScheduleTimer()", ("DelaySeconds", "5")).OperationResults);

        Assert.Equal(ErrorCodes.PermissionDenied, result.CmdFailure.ErrCode);
        Assert.Equal("0", _agent.Engine.GetValue("Device.LocalAgent.RequestNumberOfEntries"));
    }

    [Fact]
    public async Task CancelOfAnotherControllersRequestNeedsExecuteOnItsCommand()
    {
        Allow("Device.ScheduleTimer()", "----", "----", "----", "r-xn");
        AllowSubscriptions();
        Subscribe(TestAgent.ControllerId, "oc", "OperationComplete", "Device.ScheduleTimer()");
        var request = Assert.Single(OperateResp(TestAgent.ControllerId, "Device.ScheduleTimer()", ("DelaySeconds", "600")).OperationResults).ReqObjPath;
        Assert.Equal(TestAgent.ControllerId, _agent.Engine.GetValue(request + "Originator"));

        // No 'x' on Cancel() at all.
        var noExecute = Assert.Single(OperateResp(TestAgent.OtherControllerId, request + "Cancel()").OperationResults);
        Assert.Equal(ErrorCodes.PermissionDenied, noExecute.CmdFailure.ErrCode);

        // 'x' on Cancel() but not on the command it would stop.
        Allow("Device.LocalAgent.Request.*.Cancel()", "----", "----", "----", "r-x-", UntrustedRole);
        var notItsCommand = Assert.Single(OperateResp(TestAgent.OtherControllerId, request + "Cancel()").OperationResults);
        Assert.Equal(ErrorCodes.PermissionDenied, notItsCommand.CmdFailure.ErrCode);
        await PumpAsync();
        Assert.Equal("Active", _agent.Engine.GetValue(request + "Status"));
        Assert.Empty(Sent(Notify.NotificationOneofCase.OperComplete));

        Allow("Device.ScheduleTimer()", "----", "----", "----", "r-x-", UntrustedRole);
        Assert.NotNull(Assert.Single(OperateResp(TestAgent.OtherControllerId, request + "Cancel()").OperationResults).ReqOutputArgs);
        await PumpAsync();

        var oc = Assert.Single(Sent(Notify.NotificationOneofCase.OperComplete));
        Assert.Equal(TestAgent.ControllerId, oc.To);
        Assert.Equal(ErrorCodes.CommandCanceled, oc.Notify.OperComplete.CmdFailure.ErrCode);
        Assert.Equal("0", _agent.Engine.GetValue("Device.LocalAgent.RequestNumberOfEntries"));
    }

    [Fact]
    public async Task ControllerCancelsItsOwnRequestWithExecuteOnCancelOnly()
    {
        Allow("Device.ScheduleTimer()", "----", "----", "----", "r-x-");
        var request = Assert.Single(OperateResp(TestAgent.ControllerId, "Device.ScheduleTimer()", ("DelaySeconds", "600")).OperationResults).ReqObjPath;
        Allow("Device.ScheduleTimer()", "----", "----", "----", "r---");
        Allow("Device.LocalAgent.Request.", "----", "----", "----", "r-x-");

        Assert.NotNull(Assert.Single(OperateResp(TestAgent.ControllerId, request + "Cancel()").OperationResults).ReqOutputArgs);
        await PumpAsync();

        Assert.Equal("0", _agent.Engine.GetValue("Device.LocalAgent.RequestNumberOfEntries"));
    }

    // ---- Notifications ----

    [Theory]
    [InlineData("r-xn", 1)]
    [InlineData("r-x-", 0)]
    public async Task OperationCompleteNeedsCommandEventNotify(string commandEvent, int expected)
    {
        Allow("Device.ScheduleTimer()", "----", "----", "----", commandEvent);
        AllowSubscriptions();
        Subscribe(TestAgent.ControllerId, "oc", "OperationComplete", "Device.ScheduleTimer()");

        Assert.NotEmpty(Assert.Single(OperateResp(TestAgent.ControllerId, "Device.ScheduleTimer()", ("DelaySeconds", "5")).OperationResults).ReqObjPath);
        await RunForAsync(TimeSpan.FromSeconds(6));

        Assert.Equal("0", _agent.Engine.GetValue("Device.LocalAgent.RequestNumberOfEntries"));
        Assert.Equal(expected, Sent(Notify.NotificationOneofCase.OperComplete).Count);
    }

    [Theory]
    [InlineData("rw-n", "rw--", 1, 0)]
    [InlineData("rw--", "rw-n", 0, 1)]
    public async Task ObjectCreationNeedsObjNotifyOnTheTableAndDeletionInstantiatedObjNotifyOnTheRow(string obj, string inst, int creations, int deletions)
    {
        const string table = Controller1 + "BootParameter.";
        Allow(table, "rw--", obj, inst, "----");
        AllowSubscriptions();
        Subscribe(TestAgent.ControllerId, "created", "ObjectCreation", table);
        Subscribe(TestAgent.ControllerId, "deleted", "ObjectDeletion", table);

        var row = _agent.AddBootParameter(Controller1, "Device.DeviceInfo.ModelName", enable: true);
        Assert.Equal(Header.Types.MsgType.DeleteResp, _agent.Delete(false, row).Header.MsgType);
        await PumpAsync();

        Assert.Equal(creations, Sent(Notify.NotificationOneofCase.ObjCreation).Count);
        Assert.Equal(deletions, Sent(Notify.NotificationOneofCase.ObjDeletion).Count);
        Assert.All(Sent(Notify.NotificationOneofCase.ObjDeletion), d => Assert.Equal(row, d.Notify.ObjDeletion.ObjPath));
    }

    [Theory]
    [InlineData("r--n", 1)]
    [InlineData("r---", 0)]
    public async Task BootEventNeedsCommandEventNotify(string commandEvent, int expected)
    {
        Allow("Device.Boot!", "----", "----", "----", commandEvent);
        AllowSubscriptions();
        Subscribe(TestAgent.ControllerId, "boot", "Event", "Device.Boot!");

        _agent.Engine.Notifications.Start();
        await PumpAsync();

        Assert.Equal(expected, Sent(Notify.NotificationOneofCase.Event).Count(e => e.Notify.Event.EventName == "Boot!"));
    }

    [Theory]
    [InlineData("r--n", 1)]
    [InlineData("r---", 0)]
    public async Task PeriodicEventNeedsCommandEventNotify(string commandEvent, int expected)
    {
        Allow("Device.LocalAgent.Periodic!", "----", "----", "----", commandEvent);
        Allow(Controller1 + "PeriodicNotifInterval", "rw--", "----", "----", "----");
        AllowSubscriptions();
        _agent.Set(false, (Controller1, [("PeriodicNotifInterval", "10", true)]));
        Subscribe(TestAgent.ControllerId, "periodic", "Event", "Device.LocalAgent.Periodic!");

        await RunForAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(expected, Sent(Notify.NotificationOneofCase.Event).Count(e => e.Notify.Event.EventName == "Periodic!"));
    }

    [Fact]
    public async Task OnBoardRequestNeedsNoNotifyPermission()
    {
        // Controller.2 holds only the UntrustedRole: no 'n' anywhere. OnBoardRequest is agent policy, not a subscription.
        Allow("Device.LocalAgent.Controller.2.SendOnBoardRequest()", "----", "----", "----", "r-x-");

        Assert.NotNull(Assert.Single(OperateResp(TestAgent.ControllerId, "Device.LocalAgent.Controller.2.SendOnBoardRequest()").OperationResults).ReqOutputArgs);
        await PumpAsync();

        Assert.Equal(TestAgent.OtherControllerId, Assert.Single(Sent(Notify.NotificationOneofCase.OnBoardReq)).To);
    }

    [Fact]
    public async Task RequestRowsAndOperationCompleteReachOnlyTheInvokingController()
    {
        Allow("Device.", "rw-n", "rw-n", "rw-n", "r-xn");
        Allow("Device.", "rw-n", "rw-n", "rw-n", "r-xn", UntrustedRole);
        foreach (var from in new[] { TestAgent.ControllerId, TestAgent.OtherControllerId })
        {
            Subscribe(from, "req-created", "ObjectCreation", "Device.LocalAgent.Request.");
            Subscribe(from, "req-deleted", "ObjectDeletion", "Device.LocalAgent.Request.");
            Subscribe(from, "req-status", "ValueChange", "Device.LocalAgent.Request.");
            Subscribe(from, "oc", "OperationComplete", "Device.ScheduleTimer()");
        }

        var request = Assert.Single(OperateResp(TestAgent.ControllerId, "Device.ScheduleTimer()", ("DelaySeconds", "5")).OperationResults).ReqObjPath;
        await RunForAsync(TimeSpan.FromSeconds(6));

        var sent = _sender.Sent;
        Assert.All(sent, s => Assert.Equal(TestAgent.ControllerId, s.To));
        Assert.Equal(request, Assert.Single(sent, s => s.Notify.NotificationCase == Notify.NotificationOneofCase.ObjCreation).Notify.ObjCreation.ObjPath);
        Assert.Equal(request, Assert.Single(sent, s => s.Notify.NotificationCase == Notify.NotificationOneofCase.ObjDeletion).Notify.ObjDeletion.ObjPath);
        Assert.Single(sent, s => s.Notify.NotificationCase == Notify.NotificationOneofCase.OperComplete);
    }

    [Fact]
    public async Task SecuredParameterValueChangeCarriesAnEmptyValue()
    {
        Allow("Device.X_EXAMPLE_Secret.", "rw-n", "r---", "----", "----");
        AllowSubscriptions();
        _agent.Set(false, (Trust, [("SecuredRoles", TestRole.TrimEnd('.'), true)]));
        Subscribe(TestAgent.ControllerId, "secret", "ValueChange", "Device.X_EXAMPLE_Secret.");

        _agent.Set(false, ("Device.X_EXAMPLE_Secret.", [("Key", "n3w-s3cr3t", true), ("Label", "relabelled", true)]));
        await PumpAsync();

        var changes = Sent(Notify.NotificationOneofCase.ValueChange).ToDictionary(s => s.Notify.ValueChange.ParamPath, s => s.Notify.ValueChange.ParamValue);
        Assert.Equal("", changes["Device.X_EXAMPLE_Secret.Key"]);
        Assert.Equal("relabelled", changes["Device.X_EXAMPLE_Secret.Label"]);
    }

    [Fact]
    public async Task PermissionRevokedAfterSubscribingStopsTheNotifications()
    {
        Allow(Controller1 + "ProvisioningCode", "rw-n", "----", "----", "----");
        AllowSubscriptions();
        Subscribe(TestAgent.ControllerId, "vc", "ValueChange", Controller1 + "ProvisioningCode");
        _agent.Set(false, (Controller1, [("ProvisioningCode", "first", true)]));
        await PumpAsync();
        Assert.Equal("first", Assert.Single(Sent(Notify.NotificationOneofCase.ValueChange)).Notify.ValueChange.ParamValue);

        Allow(Controller1 + "ProvisioningCode", "rw--", "----", "----", "----");
        _agent.Set(false, (Controller1, [("ProvisioningCode", "second", true)]));
        await PumpAsync();

        Assert.Single(Sent(Notify.NotificationOneofCase.ValueChange));
    }

    [Theory]
    [InlineData(false, "{}")]
    [InlineData(true, "{\"Device.DeviceInfo.SerialNumber\":\"SN-0001\"}")]
    public async Task BootParameterMapHoldsOnlyWhatTheControllerMayRead(bool mayRead, string parameterMap)
    {
        Allow("Device.Boot!", "----", "----", "----", "r--n");
        if (mayRead)
            Allow("Device.DeviceInfo.SerialNumber", "r---", "----", "----", "----");
        AllowSubscriptions();
        Subscribe(TestAgent.ControllerId, "boot", "Event", "Device.Boot!");

        _agent.Engine.Notifications.Start();
        await PumpAsync();

        var boot = Assert.Single(Sent(Notify.NotificationOneofCase.Event)).Notify.Event;
        Assert.Equal(parameterMap, boot.Params["ParameterMap"]);
    }

    [Theory]
    [InlineData(false, "secret-holder")]
    [InlineData(true, "set-by-trigger")]
    public async Task TriggerActionConfigWritesOnlyWhatTheSubscribersControllerMayWrite(bool mayWrite, string label)
    {
        Allow(Controller1 + "ProvisioningCode", "rw-n", "----", "----", "----");
        if (mayWrite)
            Allow("Device.X_EXAMPLE_Secret.Label", "rw--", "----", "----", "----");
        AllowSubscriptions();
        var sub = Subscribe(TestAgent.ControllerId, "config", "ValueChange", Controller1 + "ProvisioningCode");
        Assert.Equal(Header.Types.MsgType.SetResp, _agent.Set(false,
            (sub, [("TriggerAction", "Config", true), ("TriggerConfigSettings", "Device.X_EXAMPLE_Secret.Label=set-by-trigger", true)])).Header.MsgType);

        _agent.Set(false, (Controller1, [("ProvisioningCode", "go", true)]));
        await PumpAsync();

        Assert.Equal(label, _agent.Engine.GetValue("Device.X_EXAMPLE_Secret.Label"));
        Assert.Empty(Sent(Notify.NotificationOneofCase.ValueChange));
    }
}

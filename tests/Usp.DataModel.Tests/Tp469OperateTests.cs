using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Usp.DataModel.Operations;
using Usp.Proto;

namespace Usp.DataModel.Tests;

public sealed class Tp469OperateTests : IDisposable
{
    private const string Controller = "Device.LocalAgent.Controller.1.";
    private readonly List<NotifyingAgent> _agents = [];
    private readonly List<string> _directories = [];

    private NotifyingAgent NewAgent(string? directory = null, IReadOnlyList<ISelfTestParticipant>? selfTests = null,
        IReadOnlyList<Schema.IDataModelArea>? areas = null)
    {
        var agent = new NotifyingAgent(directory, selfTests, areas);
        _agents.Add(agent);
        return agent;
    }

    private string NewDirectory()
    {
        var dir = TestAgent.NewDirectory();
        _directories.Add(dir);
        return dir;
    }

    public void Dispose()
    {
        foreach (var a in _agents)
            a.Dispose();
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

    private static Notify.Types.OperationComplete OperationComplete(NotifyingAgent a) =>
        Assert.Single(a.Sent(Notify.NotificationOneofCase.OperComplete)).Notify.OperComplete;

    [Fact]
    public async Task Tp469_1_61_RebootWithSendRespTrue()
    {
        var a = NewAgent();

        var resp = a.Operate("Device.Reboot()", "test61", sendResp: true);

        var result = Assert.Single(resp!.OperationResults);
        Assert.Equal("Device.Reboot()", result.ExecutedCommand);
        Assert.NotNull(result.ReqOutputArgs);
        Assert.Empty(result.ReqOutputArgs.OutputArgs_);
        Assert.Empty(a.Restart.Calls);   // not before the response went out
        await a.PumpAsync();
        Assert.Equal([RestartReason.Reboot], a.Restart.Calls);
    }

    [Fact]
    public async Task Tp469_1_62_RebootWithSendRespFalse()
    {
        var a = NewAgent();

        Assert.Null(a.Operate("Device.Reboot()", "test62", sendResp: false));
        await a.PumpAsync();

        Assert.Equal([RestartReason.Reboot], a.Restart.Calls);
    }

    [Fact]
    public async Task Tp469_1_64_AsyncOperationWithSendRespTrue()
    {
        var a = NewAgent();
        a.AddSubscription("oc64", "OperationComplete", "Device.ScheduleTimer()");

        var resp = a.Operate("Device.ScheduleTimer()", "test64", sendResp: true, ("DelaySeconds", "5"));

        var result = Assert.Single(resp!.OperationResults);
        Assert.Equal("Device.ScheduleTimer()", result.ExecutedCommand);
        Assert.Equal("Device.LocalAgent.Request.1.", result.ReqObjPath);
        Assert.Equal("Active", a.Agent.Value(result.ReqObjPath + "Status"));
        Assert.Equal("Device.ScheduleTimer()", a.Agent.Value(result.ReqObjPath + "Command"));
        Assert.Equal("test64", a.Agent.Value(result.ReqObjPath + "CommandKey"));
        Assert.Equal(TestAgent.ControllerId, a.Agent.Value(result.ReqObjPath + "Originator"));

        await a.RunForAsync(TimeSpan.FromSeconds(5));

        var oc = OperationComplete(a);
        Assert.Equal("Device.", oc.ObjPath);
        Assert.Equal("ScheduleTimer()", oc.CommandName);
        Assert.Equal("test64", oc.CommandKey);
        Assert.NotNull(oc.ReqOutputArgs);
        Assert.Empty(a.Instances("Device.LocalAgent.Request."));   // R-OPR.0
    }

    [Fact]
    public async Task Tp469_1_65_AsyncOperationWithSendRespFalse()
    {
        var a = NewAgent();
        a.AddSubscription("oc65", "OperationComplete", "Device.ScheduleTimer()");

        Assert.Null(a.Operate("Device.ScheduleTimer()", "test65", sendResp: false, ("DelaySeconds", "2")));
        await a.RunForAsync(TimeSpan.FromSeconds(2));

        var oc = OperationComplete(a);
        Assert.Equal("Device.", oc.ObjPath);
        Assert.Equal("ScheduleTimer()", oc.CommandName);
        Assert.Equal("test65", oc.CommandKey);
    }

    [Fact]
    public async Task Tp469_1_79_OperateWithInputArguments()
    {
        var a = NewAgent();
        a.AddSubscription("oc79", "OperationComplete", "Device.ScheduleTimer()");

        var resp = a.Operate("Device.ScheduleTimer()", "test79", sendResp: true, ("DelaySeconds", "30"));
        Assert.StartsWith("Device.LocalAgent.Request.", Assert.Single(resp!.OperationResults).ReqObjPath);

        await a.RunForAsync(TimeSpan.FromSeconds(29));
        Assert.Empty(a.Sent(Notify.NotificationOneofCase.OperComplete));
        await a.RunForAsync(TimeSpan.FromSeconds(1));

        var oc = OperationComplete(a);
        Assert.Equal("ScheduleTimer()", oc.CommandName);
        Assert.Equal("Device.", oc.ObjPath);
        Assert.Equal("test79", oc.CommandKey);
        Assert.Equal(NotifyingAgent.Start + TimeSpan.FromSeconds(30), a.Sent(Notify.NotificationOneofCase.OperComplete).Single().At);
    }

    [Fact]
    public async Task Tp469_1_100_MissingMandatoryInputArgument()
    {
        var a = NewAgent();
        a.AddSubscription("oc100", "OperationComplete", "Device.ScheduleTimer()");

        var resp = a.Operate("Device.ScheduleTimer()", "test100", sendResp: true);

        var result = Assert.Single(resp!.OperationResults);
        Assert.Equal(ErrorCodes.InvalidCommandArguments, result.CmdFailure.ErrCode);
        Assert.Empty(a.Instances("Device.LocalAgent.Request."));
        await a.RunForAsync(TimeSpan.FromSeconds(120));
        Assert.Empty(a.Sent(Notify.NotificationOneofCase.OperComplete));
    }

    [Fact]
    public async Task Tp469_1_91_UnknownInputArgumentsAreIgnored()
    {
        var a = NewAgent();
        a.AddSubscription("oc91", "OperationComplete", "Device.ScheduleTimer()");

        var resp = a.Operate("Device.ScheduleTimer()", "test91", sendResp: true, ("DelaySeconds", "10"), ("InvalidArgument", "2"));

        var result = Assert.Single(resp!.OperationResults);
        Assert.Equal("Device.ScheduleTimer()", result.ExecutedCommand);
        Assert.Equal(OperateResp.Types.OperationResult.OperationRespOneofCase.ReqObjPath, result.OperationRespCase);
        Assert.StartsWith("Device.LocalAgent.Request.", result.ReqObjPath);

        await a.RunForAsync(TimeSpan.FromSeconds(10));
        var oc = OperationComplete(a);
        Assert.Equal("test91", oc.CommandKey);
        Assert.Equal(Notify.Types.OperationComplete.OperationRespOneofCase.ReqOutputArgs, oc.OperationRespCase);
        Assert.Equal(NotifyingAgent.Start + TimeSpan.FromSeconds(10), a.Sent(Notify.NotificationOneofCase.OperComplete).Single().At);
    }

    [Fact]
    public async Task Tp469_1_92_OmittedOptionalArgumentsTakeTheirDefaults()
    {
        var traceRoute = new FakeTraceRouteArea();
        var a = NewAgent(areas: [traceRoute]);
        a.AddSubscription("oc92", "OperationComplete", "Device.IP.Diagnostics.TraceRoute()");

        var resp = a.Operate("Device.IP.Diagnostics.TraceRoute()", "test92", sendResp: true, ("Host", "192.0.2.99"), ("ProtocolVersion", "Any"));

        var result = Assert.Single(resp!.OperationResults);
        Assert.Equal("Device.IP.Diagnostics.TraceRoute()", result.ExecutedCommand);
        Assert.Equal("Device.LocalAgent.Request.1.", result.ReqObjPath);
        Assert.Equal("Device.IP.Diagnostics.TraceRoute()", a.Agent.Value(result.ReqObjPath + "Command"));

        await a.RunForAsync(TimeSpan.FromSeconds(15));

        // NumberOfTries defaults to 3 and Timeout to 5000 ms: three tries, 5 s apart.
        var tries = traceRoute.Tries;
        Assert.Equal(3, tries.Count);
        Assert.All(tries, t => Assert.Equal(("192.0.2.99", "Any", ""), (t.Host, t.ProtocolVersion, t.Interface)));
        Assert.Equal(
            [NotifyingAgent.Start, NotifyingAgent.Start.AddMilliseconds(5000), NotifyingAgent.Start.AddMilliseconds(10000)],
            tries.Select(t => t.At));
        var oc = OperationComplete(a);
        Assert.Equal("test92", oc.CommandKey);
        Assert.Equal("Error_MaxHopCountExceeded", oc.ReqOutputArgs.OutputArgs_["Status"]);
        Assert.Equal(NotifyingAgent.Start.AddMilliseconds(15000), a.Sent(Notify.NotificationOneofCase.OperComplete).Single().At);
    }

    [Fact]
    public async Task GivenOptionalArgumentsOverrideTheDefaults()
    {
        var traceRoute = new FakeTraceRouteArea();
        var a = NewAgent(areas: [traceRoute]);

        var resp = a.Operate("Device.IP.Diagnostics.TraceRoute()", "", sendResp: true,
            ("Host", "192.0.2.99"), ("NumberOfTries", "2"), ("Timeout", "1000"), ("ProtocolVersion", "IPv6"));

        Assert.NotEmpty(Assert.Single(resp!.OperationResults).ReqObjPath);
        await a.RunForAsync(TimeSpan.FromSeconds(5));
        Assert.Equal([NotifyingAgent.Start, NotifyingAgent.Start.AddMilliseconds(1000)], traceRoute.Tries.Select(t => t.At));
        Assert.All(traceRoute.Tries, t => Assert.Equal("IPv6", t.ProtocolVersion));
        Assert.Empty(a.Instances("Device.LocalAgent.Request."));
    }

    [Theory]
    [InlineData("NumberOfTries", "4")]
    [InlineData("NumberOfTries", "0")]
    [InlineData("ProtocolVersion", "IPv5")]
    [InlineData("DSCP", "64")]
    public void InputArgumentOutsideItsFacetsGivesInvalidCommandArguments(string arg, string value)
    {
        var traceRoute = new FakeTraceRouteArea();
        var a = NewAgent(areas: [traceRoute]);

        var resp = a.Operate("Device.IP.Diagnostics.TraceRoute()", "", sendResp: true, ("Host", "192.0.2.99"), (arg, value));

        var result = Assert.Single(resp!.OperationResults);
        Assert.Equal(ErrorCodes.InvalidCommandArguments, result.CmdFailure.ErrCode);
        Assert.Contains(arg, result.CmdFailure.ErrMsg, StringComparison.Ordinal);
        Assert.Empty(a.Instances("Device.LocalAgent.Request."));
        Assert.Empty(traceRoute.Tries);
    }

    [Fact]
    public void OptionalArgumentWhoseDefaultBreaksItsFacetsIsRejectedAtRegistration()
    {
        var builder = new Schema.SchemaBuilder();
        var device = builder.Object("Device.");

        var ex = Assert.Throws<ArgumentException>(() => device.Command("Probe()", inputs:
            [new Schema.ArgumentSchema("Mode", Schema.ParamType.String, Constraints: new Schema.ValueConstraints { Enumeration = ["Fast", "Slow"] })]));
        Assert.Contains("Mode", ex.Message, StringComparison.Ordinal);
        device.Command("Probe()", inputs:
            [new Schema.ArgumentSchema("Mode", Schema.ParamType.String, Default: "Fast", Constraints: new Schema.ValueConstraints { Enumeration = ["Fast", "Slow"] })]);
    }

    [Fact]
    public void OperateErrors()
    {
        var a = NewAgent();

        var badType = a.Operate("Device.ScheduleTimer()", "k", sendResp: true, ("DelaySeconds", "soon"));
        Assert.Equal(ErrorCodes.InvalidCommandArguments, Assert.Single(badType!.OperationResults).CmdFailure.ErrCode);

        // R-OPR.6: unknown input arguments are ignored.
        var extra = a.Operate("Device.ScheduleTimer()", "k", sendResp: true, ("DelaySeconds", "1"), ("Bogus", "x"));
        Assert.NotEmpty(Assert.Single(extra!.OperationResults).ReqObjPath);

        var unknown = a.Agent.Send(new Request { Operate = new Usp.Proto.Operate { Command = "Device.NoSuchCommand()", SendResp = true } },
            Header.Types.MsgType.Operate);
        Assert.Equal(Header.Types.MsgType.Error, unknown.Header.MsgType);
        Assert.Contains(unknown.Body.Error.ErrCode, new[] { ErrorCodes.InvalidPath, ErrorCodes.InvalidPathSyntax });
    }

    [Fact]
    public async Task CancelStopsARunningOperation()
    {
        var a = NewAgent();
        a.AddSubscription("oc", "OperationComplete", "Device.");
        var request = Assert.Single(a.Operate("Device.ScheduleTimer()", "cancel-me", sendResp: true, ("DelaySeconds", "600"))!.OperationResults).ReqObjPath;

        var cancel = a.Operate(request + "Cancel()", "", sendResp: true);
        Assert.NotNull(Assert.Single(cancel!.OperationResults).ReqOutputArgs);
        await a.PumpAsync();

        var oc = OperationComplete(a);
        Assert.Equal(ErrorCodes.CommandCanceled, oc.CmdFailure.ErrCode);
        Assert.Empty(a.Instances("Device.LocalAgent.Request."));
    }

    [Fact]
    public async Task Tp469_9_2_AddCertificate()
    {
        var a = NewAgent();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=new-controller.example", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(NotifyingAgent.Start.AddDays(-1), NotifyingAgent.Start.AddYears(1));

        var resp = a.Operate("Device.LocalAgent.AddCertificate()", "", sendResp: true, ("Alias", "addedCert"), ("Certificate", cert.ExportCertificatePem()));

        Assert.NotNull(Assert.Single(resp!.OperationResults).ReqOutputArgs);
        var row = Assert.Single(a.Agent.Get("Device.LocalAgent.Certificate.").ReqPathResults[0].ResolvedPathResults);
        Assert.Equal("addedCert", row.ResultParams["Alias"]);
        Assert.Equal(cert.SerialNumber, row.ResultParams["SerialNumber"]);
        Assert.Equal("CN=new-controller.example", row.ResultParams["Subject"]);
        Assert.Equal(Convert.ToBase64String(cert.RawData), row.ResultParams["X_USPAGENT_Certificate"]);

        var again = a.Operate("Device.LocalAgent.AddCertificate()", "", sendResp: true, ("Certificate", cert.ExportCertificatePem()));
        Assert.Equal(ErrorCodes.CommandFailure, Assert.Single(again!.OperationResults).CmdFailure.ErrCode);
        var garbage = a.Operate("Device.LocalAgent.AddCertificate()", "", sendResp: true, ("Certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"));
        Assert.Equal(ErrorCodes.InvalidCommandArguments, Assert.Single(garbage!.OperationResults).CmdFailure.ErrCode);

        var delete = a.Operate(row.ResolvedPath + "Delete()", "", sendResp: true);
        Assert.NotNull(Assert.Single(delete!.OperationResults).ReqOutputArgs);
        Assert.Empty(a.Instances("Device.LocalAgent.Certificate."));
        await a.PumpAsync();
    }

    [Fact]
    public async Task Tp469_9_9_NewControllerGetsOnBoardRequest()
    {
        var a = NewAgent();
        const string newId = "proto::controller-new";
        var added = a.Agent.Add(false, ("Device.LocalAgent.Controller.",
            [("Alias", "usp-111-Controller", true), ("EndpointID", newId, true), ("Enable", "true", true),
             ("AssignedRole", "Device.LocalAgent.ControllerTrust.Role.1", true)]));
        var controller = added.Body.Response.AddResp.CreatedObjResults[0].OperStatus.OperSuccess.InstantiatedPath;
        a.Agent.Add(false, (controller + "MTP.", [("Enable", "true", true), ("Protocol", "CoAP", true)]));

        var resp = a.Operate(controller + "SendOnBoardRequest()", "", sendResp: true);
        Assert.NotNull(Assert.Single(resp!.OperationResults).ReqOutputArgs);
        await a.PumpAsync();

        var sent = Assert.Single(a.Sent(Notify.NotificationOneofCase.OnBoardReq));
        Assert.Equal(newId, sent.To);
        Assert.Equal((a.Engine.Identity.ManufacturerOui, a.Engine.Identity.ProductClass, a.Engine.Identity.SerialNumber),
            (sent.Notify.OnBoardReq.Oui, sent.Notify.OnBoardReq.ProductClass, sent.Notify.OnBoardReq.SerialNumber));
        Assert.DoesNotContain("", new[] { sent.Notify.OnBoardReq.Oui, sent.Notify.OnBoardReq.ProductClass, sent.Notify.OnBoardReq.SerialNumber });
        Assert.Single(a.Engine.GetControllerMtps(newId));
        a.NotifyResp(sent);
        Assert.Equal(0, a.Notifications.PendingCount);
    }

    [Fact]
    // TP-469 9.10's metric needs Device.DeviceInfo.BootFirmwareImage (Conditional Mandatory), which this agent does not
    // implement; this test covers the rest of its procedure with another BootParameter, so it carries no plan number.
    public async Task BootEventCarriesCauseAndBootParameters()
    {
        var dir = NewDirectory();
        var before = NewAgent(dir);
        before.AddSubscription("boot", "Event", "Device.Boot!");
        before.Agent.AddBootParameter(Controller, "Device.DeviceInfo.SerialNumber", enable: true);
        before.Agent.AddBootParameter(Controller, "Device.DeviceInfo.Manufacturer", enable: false);
        before.Operate("Device.Reboot()", "reboot-910", sendResp: true);
        await before.PumpAsync();
        Assert.Equal([RestartReason.Reboot], before.Restart.Calls);
        _agents.Remove(before);
        before.Dispose();

        var after = NewAgent(dir);
        after.Notifications.Start();
        await after.PumpAsync();

        var boot = Assert.Single(after.Sent(Notify.NotificationOneofCase.Event)).Notify;
        Assert.Equal("Device.", boot.Event.ObjPath);
        Assert.Equal("Boot!", boot.Event.EventName);
        Assert.Equal("RemoteReboot", boot.Event.Params["Cause"]);
        Assert.Equal("reboot-910", boot.Event.Params["CommandKey"]);
        Assert.Equal("false", boot.Event.Params["FirmwareUpdated"]);
        using var map = JsonDocument.Parse(boot.Event.Params["ParameterMap"]);
        Assert.Equal("SN-0001", map.RootElement.GetProperty("Device.DeviceInfo.SerialNumber").GetString());
        Assert.False(map.RootElement.TryGetProperty("Device.DeviceInfo.Manufacturer", out _));
        // The subscription was not Persistent: it served this Boot! and is gone now.
        Assert.Empty(after.Instances("Device.LocalAgent.Subscription."));
    }

    [Fact]
    public async Task Tp469_9_11_ScheduleTimerOperationComplete()
    {
        var a = NewAgent();
        a.AddSubscription("timer", "OperationComplete", "Device.ScheduleTimer()");

        var resp = a.Operate("Device.ScheduleTimer()", "", sendResp: true, ("DelaySeconds", "60"));
        Assert.Equal("Device.ScheduleTimer()", Assert.Single(resp!.OperationResults).ExecutedCommand);
        await a.RunForAsync(TimeSpan.FromSeconds(60));

        var oc = OperationComplete(a);
        Assert.Equal("ScheduleTimer()", oc.CommandName);
    }

    [Fact]
    public async Task Tp469_1_63_ControllerScheduleTimerRaisesTimerEvent()
    {
        var a = NewAgent();
        a.AddSubscription("timer63", "Event", Controller + "Timer!");

        var resp = a.Operate(Controller + "ScheduleTimer()", "test63", sendResp: true, ("DelaySeconds", "30"));
        Assert.NotEmpty(Assert.Single(resp!.OperationResults).ReqObjPath);
        await a.RunForAsync(TimeSpan.FromSeconds(30));

        var ev = Assert.Single(a.Sent(Notify.NotificationOneofCase.Event)).Notify.Event;
        Assert.Equal(Controller, ev.ObjPath);
        Assert.Equal("Timer!", ev.EventName);
    }

    [Fact]
    public async Task SelfTestDiagnosticsChecksDatabaseAndParticipants()
    {
        var a = NewAgent(selfTests: [new FixedSelfTest("coap", true), new FixedSelfTest("i2c", false)]);
        a.AddSubscription("st", "OperationComplete", "Device.SelfTestDiagnostics()");

        a.Operate("Device.SelfTestDiagnostics()", "st", sendResp: true);
        await a.Notifications.WhenOperationsIdleAsync();
        await a.PumpAsync();

        var oc = OperationComplete(a);
        Assert.Equal("Error_Other", oc.ReqOutputArgs.OutputArgs_["Status"]);
        Assert.Contains("database: ok", oc.ReqOutputArgs.OutputArgs_["Results"]);
        Assert.Contains("i2c: FAILED", oc.ReqOutputArgs.OutputArgs_["Results"]);
    }

    [Fact]
    public async Task FactoryResetRebuildsDefaultsAndBootsWithRemoteFactoryReset()
    {
        var dir = NewDirectory();
        var before = NewAgent(dir);
        before.AddSubscription("gone", "ValueChange", Controller + "ProvisioningCode", ("Persistent", "true"));

        before.Operate("Device.FactoryReset()", "fr", sendResp: true);
        await before.PumpAsync();

        Assert.Equal([RestartReason.FactoryReset], before.Restart.Calls);
        Assert.Empty(before.Instances("Device.LocalAgent.Subscription."));
        _agents.Remove(before);
        before.Dispose();
        var after = NewAgent(dir);
        after.AddSubscription("boot", "Event", "Device.Boot!");
        after.Notifications.Start();
        await after.PumpAsync();
        Assert.Equal("RemoteFactoryReset", Assert.Single(after.Sent(Notify.NotificationOneofCase.Event)).Notify.Event.Params["Cause"]);
    }

    private sealed class FixedSelfTest(string name, bool passes) : ISelfTestParticipant
    {
        public string Name => name;

        public async ValueTask<SelfTestResult> RunAsync(CancellationToken cancellationToken)
        {
            await Task.Yield();
            return new SelfTestResult(passes, passes ? "" : "bus not responding");
        }
    }
}

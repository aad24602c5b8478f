using Usp.Proto;
using static Usp.Proto.GetSupportedDMResp.Types;

namespace Usp.DataModel.Tests;

/// <summary>GetInstances, GetSupportedDM and GetSupportedProtocol.</summary>
public sealed class Tp469DiscoveryTests : IDisposable
{
    private readonly TestAgent _agent = new();

    public void Dispose() => _agent.Dispose();

    [Fact]
    public void Tp469_1_66_GetInstancesFirstLevelOnly()
    {
        _agent.AddBootParameter("Device.LocalAgent.Controller.1.", "Device.DeviceInfo.SerialNumber", true);

        var r = Assert.Single(_agent.GetInstances(true, "Device.LocalAgent.Controller.").ReqPathResults);

        Assert.Equal("Device.LocalAgent.Controller.", r.RequestedPath);
        Assert.Equal(["Device.LocalAgent.Controller.1.", "Device.LocalAgent.Controller.2."], r.CurrInsts.Select(i => i.InstantiatedObjPath));
        Assert.Equal(TestAgent.ControllerId, r.CurrInsts[0].UniqueKeys["EndpointID"]);
        Assert.Equal("ctrl-1", r.CurrInsts[0].UniqueKeys["Alias"]);
    }

    [Fact]
    public void Tp469_1_67_GetInstancesAllLevels()
    {
        var bp = _agent.AddBootParameter("Device.LocalAgent.Controller.1.", "Device.DeviceInfo.SerialNumber", true);

        var r = Assert.Single(_agent.GetInstances(false, "Device.LocalAgent.Controller.").ReqPathResults);

        Assert.Equal(
            ["Device.LocalAgent.Controller.1.", "Device.LocalAgent.Controller.1.MTP.1.", bp, "Device.LocalAgent.Controller.2.", "Device.LocalAgent.Controller.2.MTP.1."],
            r.CurrInsts.Select(i => i.InstantiatedObjPath));
        Assert.Equal("Device.DeviceInfo.SerialNumber", r.CurrInsts[2].UniqueKeys["ParameterName"]);
    }

    [Fact]
    public void Tp469_1_68_GetInstancesMultipleObjects()
    {
        var resp = _agent.GetInstances(true, "Device.LocalAgent.Controller.", "Device.LocalAgent.MTP.");

        Assert.Equal(["Device.LocalAgent.Controller.", "Device.LocalAgent.MTP."], resp.ReqPathResults.Select(r => r.RequestedPath));
        Assert.All(resp.ReqPathResults, r => Assert.NotEmpty(r.CurrInsts));
    }

    [Fact]
    public void Tp469_1_70_GetInstancesWithWildcard()
    {
        var r = Assert.Single(_agent.GetInstances(true, "Device.LocalAgent.Controller.*.MTP.").ReqPathResults);

        Assert.Equal(["Device.LocalAgent.Controller.1.MTP.1.", "Device.LocalAgent.Controller.2.MTP.1."], r.CurrInsts.Select(i => i.InstantiatedObjPath));
        Assert.Equal("CoAP", r.CurrInsts[0].UniqueKeys["Protocol"]);
    }

    [Fact]
    public void Tp469_1_71_GetInstancesWithSearchExpression()
    {
        var bp = _agent.AddBootParameter("Device.LocalAgent.Controller.1.", "Device.DeviceInfo.SerialNumber", true);

        var path = "Device.LocalAgent.Controller.[Alias==\"ctrl-1\"].BootParameter.";

        var r = Assert.Single(_agent.GetInstances(false, path).ReqPathResults);

        Assert.Equal(0u, r.ErrCode);
        Assert.Equal(path, r.RequestedPath);
        Assert.Equal(bp, Assert.Single(r.CurrInsts).InstantiatedObjPath);
    }

    [Fact]
    public void Tp469_1_83_GetInstancesUnmatchedSearchExpressionGivesEmptyResult()
    {
        var path = "Device.LocalAgent.Controller.[Alias==\"no-such-alias\"].BootParameter.";

        var r = Assert.Single(_agent.GetInstances(true, path).ReqPathResults);

        Assert.Equal(path, r.RequestedPath);
        Assert.Equal(0u, r.ErrCode);
        Assert.Empty(r.CurrInsts);
    }

    [Fact]
    public void GetInstancesErrors()
    {
        var resp = _agent.GetInstances(true, "Device.LocalAgent.Nope.", "Device.LocalAgent.Controller.9.", "Device.LocalAgent.EndpointID");

        Assert.Equal([ErrorCodes.InvalidPath, ErrorCodes.ObjectDoesNotExist, ErrorCodes.InvalidPath], resp.ReqPathResults.Select(r => r.ErrCode));
    }

    private static GetSupportedDM Request(string path, bool firstLevelOnly, bool all) => new()
    {
        ObjPaths = { path },
        FirstLevelOnly = firstLevelOnly,
        ReturnCommands = all,
        ReturnEvents = all,
        ReturnParams = all,
        ReturnUniqueKeySets = all,
    };

    private static void AssertValidParams(SupportedObjectResult obj) =>
        Assert.All(obj.SupportedParams, p =>
        {
            Assert.False(string.IsNullOrEmpty(p.ParamName));
            Assert.NotEqual(ParamValueType.ParamUnknown, p.ValueType);
            Assert.NotEqual(ValueChangeType.ValueChangeUnknown, p.ValueChange);
        });

    [Fact]
    public void Tp469_1_72_GetSupportedDmAllLevelsAllOptions()
    {
        var r = Assert.Single(_agent.GetSupportedDm(Request("Device.LocalAgent.", false, true)).ReqObjResults);

        Assert.Equal(0u, r.ErrCode);
        Assert.StartsWith("urn:broadband-forum-org:tr-181-2-", r.DataModelInstUri);
        var byPath = r.SupportedObjs.ToDictionary(o => o.SupportedObjPath);
        Assert.Contains("Device.LocalAgent.Controller.{i}.MTP.{i}.CoAP.", byPath.Keys);
        var controller = byPath["Device.LocalAgent.Controller.{i}."];
        Assert.True(controller.IsMultiInstance);
        Assert.Equal(ObjAccessType.ObjAddDelete, controller.Access);
        Assert.Contains(controller.SupportedParams, p => p.ParamName == "EndpointID" && p.Access == ParamAccessType.ParamReadWrite && p.ValueType == ParamValueType.ParamString);
        var timer = Assert.Single(controller.SupportedCommands, c => c.CommandName == "ScheduleTimer()");
        Assert.Equal(CmdType.CmdAsync, timer.CommandType);
        Assert.Equal(["DelaySeconds"], timer.InputArgNames);
        Assert.Contains(controller.SupportedEvents, e => e.EventName == "Timer!");
        Assert.Contains(controller.UniqueKeySets, k => k.KeyNames.SequenceEqual(["EndpointID"]));
        var transfer = Assert.Single(byPath["Device.LocalAgent."].SupportedEvents, e => e.EventName == "TransferComplete!");
        Assert.Contains("CommandKey", transfer.ArgNames);
        Assert.All(r.SupportedObjs, AssertValidParams);
        Assert.Contains(byPath["Device.LocalAgent."].SupportedParams, p => p.ParamName == "UpTime" && p.Access == ParamAccessType.ParamReadOnly && p.ValueChange == ValueChangeType.ValueChangeWillIgnore);
    }

    [Fact]
    public void Tp469_1_73_GetSupportedDmFirstLevelOnlyAllOptions()
    {
        var r = Assert.Single(_agent.GetSupportedDm(Request("Device.LocalAgent.", true, true)).ReqObjResults);

        Assert.Equal("Device.LocalAgent.", r.SupportedObjs[0].SupportedObjPath);
        Assert.NotEmpty(r.SupportedObjs[0].SupportedParams);
        Assert.NotEmpty(r.SupportedObjs[0].SupportedCommands);
        Assert.NotEmpty(r.SupportedObjs[0].SupportedEvents);
        Assert.Empty(r.SupportedObjs[0].UniqueKeySets);
        var children = r.SupportedObjs.Skip(1).ToList();
        Assert.Equal(
            ["Device.LocalAgent.MTP.{i}.", "Device.LocalAgent.Controller.{i}.", "Device.LocalAgent.Subscription.{i}.", "Device.LocalAgent.ControllerTrust.", "Device.LocalAgent.Certificate.{i}.", "Device.LocalAgent.Request.{i}."],
            children.Select(c => c.SupportedObjPath));
        Assert.All(children, c =>
        {
            Assert.Empty(c.SupportedParams);
            Assert.Empty(c.SupportedCommands);
            Assert.Empty(c.SupportedEvents);
            Assert.Empty(c.UniqueKeySets);
        });
    }

    [Fact]
    public void Tp469_1_74_GetSupportedDmFirstLevelOnlyNoOptions()
    {
        var r = Assert.Single(_agent.GetSupportedDm(Request("Device.LocalAgent.", true, false)).ReqObjResults);

        Assert.Equal(7, r.SupportedObjs.Count);
        Assert.All(r.SupportedObjs, c =>
        {
            Assert.Empty(c.SupportedParams);
            Assert.Empty(c.SupportedCommands);
            Assert.Empty(c.SupportedEvents);
            Assert.Empty(c.UniqueKeySets);
        });
    }

    [Fact]
    public void Tp469_1_75_GetSupportedDmMultipleObjectsFirstLevelOnly()
    {
        var request = Request("Device.LocalAgent.Controller.", true, true);
        request.ObjPaths.Add("Device.LocalAgent.MTP.");

        var results = _agent.GetSupportedDm(request).ReqObjResults;

        Assert.Equal(["Device.LocalAgent.Controller.", "Device.LocalAgent.MTP."], results.Select(r => r.ReqObjPath));
        Assert.All(results, r => Assert.Equal(0u, r.ErrCode));
        var controller = results[0].SupportedObjs;
        Assert.Equal(["Device.LocalAgent.Controller.{i}.", "Device.LocalAgent.Controller.{i}.MTP.{i}.", "Device.LocalAgent.Controller.{i}.BootParameter.{i}.",
            "Device.LocalAgent.Controller.{i}.E2ESession."], controller.Select(o => o.SupportedObjPath));
        Assert.NotEmpty(controller[0].SupportedParams);
        Assert.NotEmpty(controller[0].SupportedCommands);
        Assert.NotEmpty(controller[0].SupportedEvents);
        Assert.Contains(controller[0].UniqueKeySets, k => k.KeyNames.SequenceEqual(["EndpointID"]));
        var mtp = results[1].SupportedObjs;
        Assert.Equal(["Device.LocalAgent.MTP.{i}.", "Device.LocalAgent.MTP.{i}.CoAP."], mtp.Select(o => o.SupportedObjPath));
        Assert.Contains(mtp[0].SupportedParams, p => p.ParamName == "Protocol");
        Assert.NotEmpty(mtp[0].UniqueKeySets);
        Assert.All(controller.Skip(1).Concat(mtp.Skip(1)), o =>
        {
            Assert.Empty(o.SupportedParams);
            Assert.Empty(o.SupportedCommands);
            Assert.Empty(o.SupportedEvents);
            Assert.Empty(o.UniqueKeySets);
        });
        Assert.All(controller.Concat(mtp), AssertValidParams);
        Assert.All(controller[0].SupportedCommands, c => Assert.NotEqual(CmdType.CmdUnknown, c.CommandType));
    }

    [Fact]
    public void Tp469_1_76_GetSupportedDmOnRootListsWholeModel()
    {
        var r = Assert.Single(_agent.GetSupportedDm(Request("Device.", false, true)).ReqObjResults);

        var paths = r.SupportedObjs.Select(o => o.SupportedObjPath).ToList();
        Assert.Equal(_agent.Engine.Schema.AllObjects.Count(), paths.Count);
        Assert.Contains("Device.DeviceInfo.MemoryStatus.", paths);
        Assert.Contains("Device.Time.", paths);
        Assert.Contains("Device.LocalAgent.ControllerTrust.Role.{i}.Permission.{i}.", paths);
        Assert.Contains(r.SupportedObjs[0].SupportedCommands, c => c.CommandName == "Reboot()" && c.CommandType == CmdType.CmdSync);
        Assert.All(r.SupportedObjs, AssertValidParams);
    }

    [Fact]
    public void Tp469_1_77_GetSupportedDmOnUnsupportedObject()
    {
        var r = Assert.Single(_agent.GetSupportedDm(Request("Device.LocalAgent.NotAnObject.", false, true)).ReqObjResults);

        Assert.Equal(ErrorCodes.InvalidPath, r.ErrCode);
        Assert.Empty(r.SupportedObjs);
    }

    [Fact]
    public void Tp469_1_80_GetSupportedProtocol()
    {
        var resp = _agent.Send(new Request { GetSupportedProtocol = new GetSupportedProtocol { ControllerSupportedProtocolVersions = "1.3,1.4" } },
            Header.Types.MsgType.GetSupportedProto);

        Assert.Equal(Header.Types.MsgType.GetSupportedProtoResp, resp.Header.MsgType);
        var versions = resp.Body.Response.GetSupportedProtocolResp.AgentSupportedProtocolVersions.Split(',');
        Assert.All(versions, v => Assert.Matches(@"^1\.\d+$", v));
        Assert.Contains("1.4", versions);
    }

    [Fact]
    public void Tp469_1_97_GetSupportedDmCommandsOnly()
    {
        var request = new GetSupportedDM { ObjPaths = { "Device." }, ReturnCommands = true };

        var r = Assert.Single(_agent.GetSupportedDm(request).ReqObjResults);

        Assert.All(r.SupportedObjs, o =>
        {
            Assert.Empty(o.SupportedParams);
            Assert.Empty(o.SupportedEvents);
            Assert.Empty(o.UniqueKeySets);
        });
        var commands = r.SupportedObjs.SelectMany(o => o.SupportedCommands).ToList();
        Assert.Contains(commands, c => c.CommandType == CmdType.CmdSync);
        Assert.Contains(commands, c => c.CommandType == CmdType.CmdAsync && c.InputArgNames.Count > 0);
        Assert.All(commands.SelectMany(c => c.InputArgNames), a => Assert.DoesNotContain(".", a));
    }

    [Fact]
    public void Tp469_1_98_GetSupportedDmEventsOnly()
    {
        var request = new GetSupportedDM { ObjPaths = { "Device." }, ReturnEvents = true };

        var r = Assert.Single(_agent.GetSupportedDm(request).ReqObjResults);

        Assert.All(r.SupportedObjs, o =>
        {
            Assert.Empty(o.SupportedCommands);
            Assert.Empty(o.SupportedParams);
            Assert.Empty(o.UniqueKeySets);
        });
        Assert.All(r.SupportedObjs.SelectMany(o => o.SupportedEvents).SelectMany(e => e.ArgNames), a => Assert.DoesNotContain(".", a));
        var boot = Assert.Single(r.SupportedObjs.SelectMany(o => o.SupportedEvents), e => e.EventName == "Boot!");
        Assert.Equal(["CommandKey", "Cause", "FirmwareUpdated", "ParameterMap"], boot.ArgNames);
    }

    [Fact]
    public void Tp469_1_99_GetSupportedDmUniqueKeySets()
    {
        var request = new GetSupportedDM { ObjPaths = { "Device.LocalAgent.Subscription" }, ReturnUniqueKeySets = true };

        var r = Assert.Single(_agent.GetSupportedDm(request).ReqObjResults);

        var obj = Assert.Single(r.SupportedObjs);
        Assert.Equal("Device.LocalAgent.Subscription.{i}.", obj.SupportedObjPath);
        Assert.Equal(2, obj.UniqueKeySets.Count);
        Assert.Contains(obj.UniqueKeySets, k => k.KeyNames.SequenceEqual(["Alias"]));
        Assert.Contains(obj.UniqueKeySets, k => k.KeyNames.Order().SequenceEqual(["ID", "Recipient"]));
        Assert.Empty(obj.SupportedParams);
        Assert.Empty(obj.SupportedCommands);
        Assert.Empty(obj.SupportedEvents);
    }

    [Fact]
    public void Tp469_1_105_GetSupportedDmOnCommand()
    {
        var r = Assert.Single(_agent.GetSupportedDm(Request("Device.Reboot()", false, true)).ReqObjResults);

        var obj = Assert.Single(r.SupportedObjs);
        Assert.Equal("Reboot()", Assert.Single(obj.SupportedCommands).CommandName);
        Assert.Empty(obj.SupportedEvents);
        Assert.Empty(obj.SupportedParams);
        Assert.Empty(obj.UniqueKeySets);
    }

    [Fact]
    public void Tp469_1_106_GetSupportedDmOnEvent()
    {
        var r = Assert.Single(_agent.GetSupportedDm(Request("Device.Boot!", false, true)).ReqObjResults);

        var obj = Assert.Single(r.SupportedObjs);
        Assert.Equal("Boot!", Assert.Single(obj.SupportedEvents).EventName);
        Assert.Empty(obj.SupportedCommands);
        Assert.Empty(obj.SupportedParams);
        Assert.Empty(obj.UniqueKeySets);
    }

    [Fact]
    public void Tp469_1_107_GetSupportedDmOnParameter()
    {
        var r = Assert.Single(_agent.GetSupportedDm(Request("Device.LocalAgent.EndpointID", false, true)).ReqObjResults);

        var obj = Assert.Single(r.SupportedObjs);
        Assert.Equal("Device.LocalAgent.", obj.SupportedObjPath);
        var param = Assert.Single(obj.SupportedParams);
        Assert.Equal("EndpointID", param.ParamName);
        Assert.Equal(ParamAccessType.ParamReadOnly, param.Access);
        Assert.Empty(obj.SupportedCommands);
        Assert.Empty(obj.SupportedEvents);
        Assert.Empty(obj.UniqueKeySets);
    }

    [Fact]
    public void GetSupportedDmAcceptsInstancePathsAndReportsWriteOnceAsReadWrite()
    {
        var r = Assert.Single(_agent.GetSupportedDm(Request("Device.LocalAgent.Controller.1.MTP.*.", false, true)).ReqObjResults);

        Assert.Equal("Device.LocalAgent.Controller.{i}.MTP.{i}.", r.SupportedObjs[0].SupportedObjPath);
        Assert.Equal(ParamAccessType.ParamReadWrite, r.SupportedObjs[0].SupportedParams.Single(p => p.ParamName == "Alias").Access);
    }
}

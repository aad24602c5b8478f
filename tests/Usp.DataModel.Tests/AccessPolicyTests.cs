using Usp.DataModel.Security;
using Usp.Proto;

namespace Usp.DataModel.Tests;

/// <summary>The IAccessPolicy seam: handlers ask it, and deny means 7006 or "not present".</summary>
public sealed class AccessPolicyTests : IDisposable
{
    /// <summary>The other Controller may read everything except ControllerTrust and may write nothing.</summary>
    private sealed class ReadMostlyForOthers : IAccessPolicy
    {
        public List<(string Controller, string Path, Permission Permission)> Asked { get; } = [];

        public bool IsAllowed(RequestingController controller, string path, Permission permission)
        {
            Asked.Add((controller.EndpointId, path, permission));
            if (controller.EndpointId == TestAgent.ControllerId)
                return true;
            return permission == Permission.Read && !path.StartsWith("Device.LocalAgent.ControllerTrust.", StringComparison.Ordinal);
        }
    }

    private readonly ReadMostlyForOthers _policy = new();
    private readonly string _dir = TestAgent.NewDirectory();
    private readonly UspEngine _engine;

    public AccessPolicyTests()
    {
        File.WriteAllText(Path.Combine(_dir, "d.txt"), TestAgent.Defaults);
        _engine = UspEngine.Open(new UspEngineOptions
        {
            DataDirectory = _dir,
            FactoryDefaultsPath = Path.Combine(_dir, "d.txt"),
            EndpointId = TestAgent.AgentId,
            AccessPolicy = _policy,
        });
    }

    public void Dispose()
    {
        _engine.Dispose();
        Directory.Delete(_dir, true);
    }

    private Msg Send(Request request, Header.Types.MsgType type, string from)
    {
        var msg = new Msg { Header = new Header { MsgId = Guid.NewGuid().ToString("N"), MsgType = type }, Body = new Body { Request = request } };
        var result = _engine.HandleRecord(TestAgent.EncodeRecord(msg, from), new Records.SenderIdentity(from));
        return Msg.Parser.ParseFrom(Record.Parser.ParseFrom(Assert.Single(result.ResponseBytes)).NoSessionContext.Payload);
    }

    [Fact]
    public void PolicyIsAskedWithTheRequestingControllerAndItsRow()
    {
        Send(new Request { Get = new Get { ParamPaths = { "Device.LocalAgent.EndpointID" } } }, Header.Types.MsgType.Get, TestAgent.OtherControllerId);

        Assert.Contains(_policy.Asked, a => a == (TestAgent.OtherControllerId, "Device.LocalAgent.EndpointID", Permission.Read));
    }

    [Fact]
    public void DeniedWritesGet7006AndChangeNothing()
    {
        var set = new Set { UpdateObjs = { new Set.Types.UpdateObject { ObjPath = "Device.LocalAgent.Controller.1.", ParamSettings = { new Set.Types.UpdateParamSetting { Param = "ProvisioningCode", Value = "x", Required = true } } } } };

        var resp = Send(new Request { Set = set }, Header.Types.MsgType.Set, TestAgent.OtherControllerId);

        Assert.Equal(ErrorCodes.PermissionDenied, Assert.Single(resp.Body.Error.ParamErrs).ErrCode);
        Assert.Equal("", _engine.GetValue("Device.LocalAgent.Controller.1.ProvisioningCode"));
        var add = new Add { CreateObjs = { new Add.Types.CreateObject { ObjPath = "Device.LocalAgent.Subscription." } } };
        Assert.Equal(ErrorCodes.PermissionDenied, Send(new Request { Add = add }, Header.Types.MsgType.Add, TestAgent.OtherControllerId).Body.Error.ErrCode);
        var delete = new Delete { ObjPaths = { "Device.LocalAgent.Controller.1." } };
        Assert.Equal(ErrorCodes.PermissionDenied, Send(new Request { Delete = delete }, Header.Types.MsgType.Delete, TestAgent.OtherControllerId).Body.Error.ErrCode);
    }

    [Fact]
    public void UnreadableObjectsAreLeftOutOfGetAndGetSupportedDm()
    {
        var get = Send(new Request { Get = new Get { ParamPaths = { "Device.LocalAgent." } } }, Header.Types.MsgType.Get, TestAgent.OtherControllerId);
        var paths = get.Body.Response.GetResp.ReqPathResults[0].ResolvedPathResults.Select(r => r.ResolvedPath).ToList();
        Assert.Contains("Device.LocalAgent.Controller.1.", paths);
        Assert.DoesNotContain(paths, p => p.StartsWith("Device.LocalAgent.ControllerTrust.", StringComparison.Ordinal));

        var gsdm = Send(new Request { GetSupportedDm = new GetSupportedDM { ObjPaths = { "Device.LocalAgent." } } }, Header.Types.MsgType.GetSupportedDm, TestAgent.OtherControllerId);
        Assert.DoesNotContain(gsdm.Body.Response.GetSupportedDmResp.ReqObjResults[0].SupportedObjs, o => o.SupportedObjPath.StartsWith("Device.LocalAgent.ControllerTrust.", StringComparison.Ordinal));
    }
}

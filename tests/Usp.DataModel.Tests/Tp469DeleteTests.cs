using Usp.Proto;

namespace Usp.DataModel.Tests;

public sealed class Tp469DeleteTests : IDisposable
{
    private readonly TestAgent _agent = new();

    public void Dispose() => _agent.Dispose();

    private IReadOnlyList<string> SubscriptionPaths() =>
        _agent.GetInstances(true, "Device.LocalAgent.Subscription.").ReqPathResults[0].CurrInsts.Select(i => i.InstantiatedObjPath).ToList();

    [Fact]
    public void Tp469_1_24_DeleteValidInstance()
    {
        var sub = _agent.AddSubscription("del24");

        var resp = _agent.Delete(false, sub);

        var result = Assert.Single(resp.Body.Response.DeleteResp.DeletedObjResults);
        Assert.Equal(sub, result.RequestedPath);
        Assert.Equal(sub, Assert.Single(result.OperStatus.OperSuccess.AffectedPaths));
        Assert.Equal(ErrorCodes.InvalidPath, _agent.Get(sub).ReqPathResults[0].ErrCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tp469_1_25_and_1_29_DeleteMissingInstanceGivesEmptyOperSuccess(bool allowPartial)
    {
        var resp = _agent.Delete(allowPartial, "Device.LocalAgent.Subscription.999.");

        var success = Assert.Single(resp.Body.Response.DeleteResp.DeletedObjResults).OperStatus.OperSuccess;
        Assert.NotNull(success);
        Assert.Empty(success.AffectedPaths);
        Assert.Empty(success.UnaffectedPathErrs);
    }

    [Fact]
    public void Tp469_1_26_DeleteInvalidObjectGivesError()
    {
        var resp = _agent.Delete(false, "Device.LocalAgent.InvalidObject.");

        Assert.Equal(Header.Types.MsgType.Error, resp.Header.MsgType);
        var pe = Assert.Single(resp.Body.Error.ParamErrs);
        Assert.Equal("Device.LocalAgent.InvalidObject.", pe.ParamPath);
        Assert.Equal(ErrorCodes.InvalidPath, pe.ErrCode);
    }

    [Fact]
    public void Tp469_1_27_DeleteMultipleObjects()
    {
        var a = _agent.AddSubscription("del27a");
        var b = _agent.AddSubscription("del27b");

        var resp = _agent.Delete(false, a, b);

        var results = resp.Body.Response.DeleteResp.DeletedObjResults;
        Assert.Equal([a, b], results.Select(r => r.RequestedPath));
        Assert.Equal([a, b], results.Select(r => Assert.Single(r.OperStatus.OperSuccess.AffectedPaths)));
        Assert.Empty(SubscriptionPaths());
    }

    [Fact]
    public void Tp469_1_28_DeleteMultipleWithInvalidObjectGivesErrorAndDeletesNothing()
    {
        var sub = _agent.AddSubscription("del28");

        var resp = _agent.Delete(false, sub, "Device.LocalAgent.InvalidObject.");

        Assert.Equal(Header.Types.MsgType.Error, resp.Header.MsgType);
        Assert.Equal(ErrorCodes.InvalidPath, resp.Body.Error.ErrCode);
        var pe = Assert.Single(resp.Body.Error.ParamErrs);
        Assert.Equal("Device.LocalAgent.InvalidObject.", pe.ParamPath);
        Assert.Equal(ErrorCodes.InvalidPath, pe.ErrCode);
        Assert.Equal([sub], SubscriptionPaths());
    }

    [Fact]
    public void Tp469_1_30_DeleteAllowPartialInvalidObjectGivesOperFailure()
    {
        var resp = _agent.Delete(true, "Device.LocalAgent.InvalidObject.");

        var result = Assert.Single(resp.Body.Response.DeleteResp.DeletedObjResults);
        Assert.Equal("Device.LocalAgent.InvalidObject.", result.RequestedPath);
        Assert.Equal(ErrorCodes.InvalidPath, result.OperStatus.OperFailure.ErrCode);
    }

    [Fact]
    public void Tp469_1_31_DeleteAllowPartialValidAndInvalidObject()
    {
        var sub = _agent.AddSubscription("del31");

        var resp = _agent.Delete(true, sub, "Device.LocalAgent.InvalidObject.");

        var results = resp.Body.Response.DeleteResp.DeletedObjResults;
        Assert.Equal(sub, Assert.Single(results[0].OperStatus.OperSuccess.AffectedPaths));
        Assert.Equal(ErrorCodes.InvalidPath, results[1].OperStatus.OperFailure.ErrCode);
        Assert.Empty(SubscriptionPaths());
    }

    [Fact]
    public void Tp469_1_32_DeleteAllowPartialValidAndMissingObject()
    {
        var sub = _agent.AddSubscription("del32");

        var resp = _agent.Delete(true, sub, "Device.LocalAgent.Subscription.999.");

        var results = resp.Body.Response.DeleteResp.DeletedObjResults;
        Assert.Equal(sub, Assert.Single(results[0].OperStatus.OperSuccess.AffectedPaths));
        Assert.Empty(results[1].OperStatus.OperSuccess.AffectedPaths);
        Assert.Empty(SubscriptionPaths());
    }

    [Fact]
    public void Tp469_1_33_DeleteWithUniqueKeyAddressingReportsInstanceNumberPath()
    {
        var bp = _agent.AddBootParameter("Device.LocalAgent.Controller.1.", "Device.DeviceInfo.SerialNumber", true);
        var keyPath = "Device.LocalAgent.Controller.[EndpointID==\"proto::controller-test\"].BootParameter.[ParameterName==\"Device.DeviceInfo.SerialNumber\"].";

        var resp = _agent.Delete(false, keyPath);

        var result = Assert.Single(resp.Body.Response.DeleteResp.DeletedObjResults);
        Assert.Equal(keyPath, result.RequestedPath);
        Assert.Equal(bp, Assert.Single(result.OperStatus.OperSuccess.AffectedPaths));
        Assert.Empty(_agent.Get("Device.LocalAgent.Controller.1.BootParameter.").ReqPathResults[0].ResolvedPathResults);
    }

    [Fact]
    public void Tp469_1_34_DeleteWithWildcard()
    {
        var a = _agent.AddSubscription("del34a");
        var b = _agent.AddSubscription("del34b");

        var resp = _agent.Delete(false, "Device.LocalAgent.Subscription.*.");

        var result = Assert.Single(resp.Body.Response.DeleteResp.DeletedObjResults);
        Assert.Equal("Device.LocalAgent.Subscription.*.", result.RequestedPath);
        Assert.Equal([a, b], result.OperStatus.OperSuccess.AffectedPaths);
        Assert.Empty(SubscriptionPaths());
    }

    [Fact]
    public void Tp469_1_35_DeleteWithSearchExpression()
    {
        var on = _agent.AddBootParameter("Device.LocalAgent.Controller.1.", "Device.DeviceInfo.SerialNumber", true);
        var off = _agent.AddBootParameter("Device.LocalAgent.Controller.1.", "Device.DeviceInfo.ModelName", false);
        var path = "Device.LocalAgent.Controller.1.BootParameter.[Enable==true].";

        var resp = _agent.Delete(false, path);

        var result = Assert.Single(resp.Body.Response.DeleteResp.DeletedObjResults);
        Assert.Equal(path, result.RequestedPath);
        Assert.Equal(on, Assert.Single(result.OperStatus.OperSuccess.AffectedPaths));
        var remaining = _agent.Get("Device.LocalAgent.Controller.1.BootParameter.").ReqPathResults[0].ResolvedPathResults;
        Assert.Equal(off, Assert.Single(remaining).ResolvedPath);
    }

    [Fact]
    public void Tp469_1_90_DeleteSearchMatchingNothingGivesEmptyOperSuccess()
    {
        _agent.AddSubscription("del90", enable: true);

        var resp = _agent.Delete(false, "Device.LocalAgent.Subscription.[Enable==false].");

        var success = Assert.Single(resp.Body.Response.DeleteResp.DeletedObjResults).OperStatus.OperSuccess;
        Assert.NotNull(success);
        Assert.Empty(success.AffectedPaths);
    }

    [Fact]
    public void DeleteNonDeletableRowsReportsUnaffectedPaths()
    {
        var resp = _agent.Delete(true, "Device.LocalAgent.");
        Assert.Equal(ErrorCodes.ObjectNotATable, resp.Body.Response.DeleteResp.DeletedObjResults[0].OperStatus.OperFailure.ErrCode);

        var deleteController = _agent.Delete(true, "Device.LocalAgent.Controller.2.");
        Assert.Equal("Device.LocalAgent.Controller.2.", Assert.Single(deleteController.Body.Response.DeleteResp.DeletedObjResults[0].OperStatus.OperSuccess.AffectedPaths));
        Assert.Equal(ErrorCodes.InvalidPath, _agent.Get("Device.LocalAgent.Controller.2.MTP.1.Enable").ReqPathResults[0].ErrCode);
    }
}

public sealed class StrongReferenceTests : IDisposable
{
    private readonly TestAgent _agent = new();

    public void Dispose() => _agent.Dispose();

    [Fact]
    public void StrongReferenceMustPointAtAnExistingObjectAndIsStoredWithInstanceNumbers()
    {
        var bad = _agent.Set(false, ("Device.LocalAgent.Controller.2.", [("AssignedRole", "Device.LocalAgent.ControllerTrust.Role.9", true)]));
        Assert.Equal(ErrorCodes.InvalidValue, Assert.Single(bad.Body.Error.ParamErrs).ErrCode);

        var good = _agent.Set(false, ("Device.LocalAgent.Controller.2.", [("AssignedRole", "Device.LocalAgent.ControllerTrust.Role.[Name==\"Full Access\"]", true)]));
        Assert.Equal(Header.Types.MsgType.SetResp, good.Header.MsgType);
        Assert.Equal("Device.LocalAgent.ControllerTrust.Role.1", _agent.Value("Device.LocalAgent.Controller.2.AssignedRole"));
    }

    [Fact]
    public void DeletingAReferencedObjectClearsStrongReferences()
    {
        _agent.Delete(false, "Device.LocalAgent.ControllerTrust.Role.1.");

        // Read as the host: without its only Role the test Controller has no access left (there is no mode without roles).
        Assert.Equal("", _agent.Engine.GetValue("Device.LocalAgent.Controller.1.AssignedRole"));
    }

    [Fact]
    public void DeletingARecipientControllerDeletesItsSubscriptions()
    {
        var sub = _agent.AddSubscription("orphan");

        _agent.Delete(false, "Device.LocalAgent.Controller.1.");

        // Read as the host: the test Controller just deleted its own row, so it has no access left.
        Assert.Null(_agent.Engine.GetValue(sub + "Recipient"));
    }
}

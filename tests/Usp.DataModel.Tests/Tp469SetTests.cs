using Usp.Proto;

namespace Usp.DataModel.Tests;

public sealed class Tp469SetTests : IDisposable
{
    private readonly TestAgent _agent = new();

    public void Dispose() => _agent.Dispose();

    private static SetResp.Types.UpdatedInstanceResult SingleInstance(SetResp.Types.UpdatedObjectResult result)
    {
        Assert.NotNull(result.OperStatus.OperSuccess);
        return Assert.Single(result.OperStatus.OperSuccess.UpdatedInstResults);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tp469_1_11_and_1_12_SetRequiredParamPasses(bool allowPartial)
    {
        var sub = _agent.AddSubscription("set11");

        var resp = _agent.Set(allowPartial, (sub, [("NotifRetry", "true", true)]));

        var instance = SingleInstance(Assert.Single(resp.Body.Response.SetResp.UpdatedObjResults));
        Assert.Equal(sub, instance.AffectedPath);
        Assert.Equal("NotifRetry", Assert.Single(instance.UpdatedParams).Key);
        Assert.Equal("true", _agent.Value(sub + "NotifRetry"));
    }

    [Fact]
    public void Tp469_1_13_SetMultipleObjects()
    {
        var a = _agent.AddSubscription("set13a");
        var b = _agent.AddSubscription("set13b");

        var resp = _agent.Set(false, (a, [("NotifRetry", "true", true)]), (b, [("NotifRetry", "true", true)]));

        var results = resp.Body.Response.SetResp.UpdatedObjResults;
        Assert.Equal(2, results.Count);
        Assert.Equal(a, SingleInstance(results[0]).AffectedPath);
        Assert.Equal(b, SingleInstance(results[1]).AffectedPath);
        Assert.All(results, r => Assert.Equal("NotifRetry", Assert.Single(SingleInstance(r).UpdatedParams).Key));
        Assert.Equal("true", _agent.Value(a + "NotifRetry"));
        Assert.Equal("true", _agent.Value(b + "NotifRetry"));
    }

    [Fact]
    public void Tp469_1_14_SetRequiredParamFailsGivesError()
    {
        var sub = _agent.AddSubscription("set14");

        var resp = _agent.Set(false, (sub, [("InvalidParameter", "x", true)]));

        Assert.Equal(Header.Types.MsgType.Error, resp.Header.MsgType);
        // The Error's code is the cause (the required parameter's), not the 7021 wrapper.
        Assert.Equal(ErrorCodes.UnsupportedParameter, resp.Body.Error.ErrCode);
        var pe = Assert.Single(resp.Body.Error.ParamErrs);
        Assert.Equal(sub + "InvalidParameter", pe.ParamPath);
        Assert.Equal(ErrorCodes.UnsupportedParameter, pe.ErrCode);
        var resolved = Assert.Single(_agent.Get(sub).ReqPathResults[0].ResolvedPathResults);
        Assert.DoesNotContain("InvalidParameter", resolved.ResultParams.Keys);
    }

    [Fact]
    public void Tp469_1_15_SetMultipleObjectsRequiredFailsInOneChangesNothing()
    {
        var a = _agent.AddSubscription("set15a");
        var b = _agent.AddSubscription("set15b");

        var resp = _agent.Set(false, (a, [("NotifRetry", "true", true)]), (b, [("InvalidParameter", "x", true)]));

        Assert.Equal(Header.Types.MsgType.Error, resp.Header.MsgType);
        Assert.Equal(ErrorCodes.UnsupportedParameter, resp.Body.Error.ErrCode);
        var pe = Assert.Single(resp.Body.Error.ParamErrs);
        Assert.Equal(b + "InvalidParameter", pe.ParamPath);
        Assert.Equal(ErrorCodes.UnsupportedParameter, pe.ErrCode);
        var instances = _agent.Get("Device.LocalAgent.Subscription.").ReqPathResults[0].ResolvedPathResults;
        Assert.Equal([a, b], instances.Select(r => r.ResolvedPath));
        Assert.All(instances, r => Assert.DoesNotContain("InvalidParameter", r.ResultParams.Keys));
        Assert.Equal("false", _agent.Value(a + "NotifRetry"));
    }

    [Fact]
    public void Tp469_1_16_SetAllowPartialRequiredFailsInSecondObject()
    {
        var a = _agent.AddSubscription("set16a");
        var b = _agent.AddSubscription("set16b");

        var resp = _agent.Set(true, (a, [("NotifRetry", "true", true)]), (b, [("InvalidParameter", "x", true)]));

        var results = resp.Body.Response.SetResp.UpdatedObjResults;
        Assert.Equal(2, results.Count);
        var ok = SingleInstance(results[0]);
        Assert.Equal(a, ok.AffectedPath);
        Assert.Equal("NotifRetry", Assert.Single(ok.UpdatedParams).Key);
        var failure = results[1].OperStatus.OperFailure;
        Assert.NotEqual(0u, failure.ErrCode);
        var inst = Assert.Single(failure.UpdatedInstFailures);
        Assert.Equal(b, inst.AffectedPath);
        var pe = Assert.Single(inst.ParamErrs);
        Assert.Equal("InvalidParameter", pe.Param);
        Assert.Equal(ErrorCodes.UnsupportedParameter, pe.ErrCode);
        Assert.Equal("true", _agent.Value(a + "NotifRetry"));
    }

    [Fact]
    public void Tp469_1_17_SetAllowPartialNonRequiredParamFails()
    {
        var sub = _agent.AddSubscription("set17");

        var resp = _agent.Set(true, (sub, [("NotifRetry", "true", true), ("InvalidParameter", "x", false)]));

        var instance = SingleInstance(Assert.Single(resp.Body.Response.SetResp.UpdatedObjResults));
        Assert.Equal(sub, instance.AffectedPath);
        Assert.Equal("NotifRetry", Assert.Single(instance.UpdatedParams).Key);
        var pe = Assert.Single(instance.ParamErrs);
        Assert.Equal("InvalidParameter", pe.Param);
        Assert.Equal(ErrorCodes.UnsupportedParameter, pe.ErrCode);
        Assert.Equal("true", _agent.Value(sub + "NotifRetry"));
    }

    [Fact]
    public void Tp469_1_18_SetWithUniqueKeyAddressing()
    {
        var sub = _agent.AddSubscription("set18");

        var resp = _agent.Set(false, ("Device.LocalAgent.Subscription.[ID==\"set18\"&&Recipient==\"Device.LocalAgent.Controller.1\"].", [("NotifRetry", "true", true)]));

        var instance = SingleInstance(Assert.Single(resp.Body.Response.SetResp.UpdatedObjResults));
        Assert.Equal(sub, instance.AffectedPath);
        Assert.Equal("NotifRetry", Assert.Single(instance.UpdatedParams).Key);
        Assert.Equal("true", _agent.Value(sub + "NotifRetry"));
    }

    [Fact]
    public void Tp469_1_19_SetWildcardRequiredParamsPass()
    {
        var a = _agent.AddSubscription("set19a");
        var b = _agent.AddSubscription("set19b");

        var resp = _agent.Set(false, ("Device.LocalAgent.Subscription.*.", [("NotifRetry", "true", true)]));

        var instances = Assert.Single(resp.Body.Response.SetResp.UpdatedObjResults).OperStatus.OperSuccess.UpdatedInstResults;
        Assert.Equal([a, b], instances.Select(i => i.AffectedPath));
        Assert.All(instances, i => Assert.Equal("NotifRetry", Assert.Single(i.UpdatedParams).Key));
        Assert.Equal("true", _agent.Value(a + "NotifRetry"));
        Assert.Equal("true", _agent.Value(b + "NotifRetry"));
    }

    [Fact]
    public void Tp469_1_20_SetWildcardRequiredParamFailsGivesError()
    {
        var a = _agent.AddSubscription("set20a");
        var b = _agent.AddSubscription("set20b");

        var resp = _agent.Set(false, ("Device.LocalAgent.Subscription.*.", [("InvalidParameter", "IrrelevantValue", true)]));

        Assert.Equal(Header.Types.MsgType.Error, resp.Header.MsgType);
        Assert.Equal(ErrorCodes.UnsupportedParameter, resp.Body.Error.ErrCode);
        Assert.Contains(resp.Body.Error.ParamErrs, p => p.ParamPath == a + "InvalidParameter" && p.ErrCode == ErrorCodes.UnsupportedParameter);
        var results = _agent.Get("Device.LocalAgent.Subscription.").ReqPathResults[0].ResolvedPathResults;
        Assert.All(results, r => Assert.DoesNotContain("InvalidParameter", r.ResultParams.Keys));
    }

    [Fact]
    public void Tp469_1_21_SetWildcardAllowPartialRequiredParamFailsUndoesAll()
    {
        var a = _agent.AddSubscription("set21a");
        var b = _agent.AddSubscription("set21b");

        var resp = _agent.Set(true, ("Device.LocalAgent.Subscription.*.", [("Enable", "InvalidValue", true)]));

        var failure = Assert.Single(resp.Body.Response.SetResp.UpdatedObjResults).OperStatus.OperFailure;
        Assert.NotEqual(0u, failure.ErrCode);
        Assert.Equal([a, b], failure.UpdatedInstFailures.Select(f => f.AffectedPath));
        Assert.All(failure.UpdatedInstFailures, f => Assert.Equal("Enable", Assert.Single(f.ParamErrs).Param));
        Assert.All(_agent.Get("Device.LocalAgent.Subscription.*.Enable").ReqPathResults[0].ResolvedPathResults,
            r => Assert.Equal("true", r.ResultParams["Enable"]));
    }

    [Fact]
    public void Tp469_1_22_SetWithSearchExpression()
    {
        var sub = _agent.AddSubscription("set22", notifExpiration: "3600");
        var other = _agent.AddSubscription("set22zero", notifExpiration: "0");

        var resp = _agent.Set(false, ("Device.LocalAgent.Subscription.[NotifExpiration>0].", [("NotifRetry", "true", true)]));

        var instance = SingleInstance(Assert.Single(resp.Body.Response.SetResp.UpdatedObjResults));
        Assert.Equal(sub, instance.AffectedPath);
        Assert.Equal("NotifRetry", Assert.Single(instance.UpdatedParams).Key);
        Assert.Equal("true", _agent.Value(sub + "NotifRetry"));
        Assert.Equal("false", _agent.Value(other + "NotifRetry"));
    }

    [Fact]
    public void Tp469_1_23_SetPathMatchingNoObjectsGivesEmptyOperSuccess()
    {
        var resp = _agent.Set(true, ("Device.LocalAgent.Subscription.[Recipient==\"InvalidValue\"].", [("NotifRetry", "true", true)]));

        var result = Assert.Single(resp.Body.Response.SetResp.UpdatedObjResults);
        Assert.NotNull(result.OperStatus.OperSuccess);
        Assert.Empty(result.OperStatus.OperSuccess.UpdatedInstResults);
    }

    [Fact]
    public void Tp469_1_96_NonFunctionalUniqueKeyCannotChange()
    {
        var add = _agent.Add(false, ("Device.LocalAgent.Subscription.", [("ID", "add96", false)]));
        var sub = add.Body.Response.AddResp.CreatedObjResults[0].OperStatus.OperSuccess.InstantiatedPath;

        var resp = _agent.Set(false, (sub, [("ID", "add96-NEW", true)]));

        Assert.Equal(Header.Types.MsgType.Error, resp.Header.MsgType);
        var paramErr = Assert.Single(resp.Body.Error.ParamErrs);
        Assert.Equal(sub + "ID", paramErr.ParamPath);
        Assert.Equal(paramErr.ErrCode, resp.Body.Error.ErrCode);
        Assert.NotEqual(ErrorCodes.RequiredParameterFailed, resp.Body.Error.ErrCode);
        Assert.Equal("add96", _agent.Value(sub + "ID"));
    }

    [Fact]
    public void Tp469_1_104_SetOnWriteOnceReadOnlyParameterFails()
    {
        var add = _agent.Add(false, ("Device.LocalAgent.Subscription.", [("Alias", "test-1-104", false)]));
        var sub = add.Body.Response.AddResp.CreatedObjResults[0].OperStatus.OperSuccess.InstantiatedPath;

        var resp = _agent.Set(false, (sub, [("Alias", "test-1-104-new-alias", true)]));

        Assert.Equal(Header.Types.MsgType.Error, resp.Header.MsgType);
        Assert.Equal(ErrorCodes.ParameterNotWritable, resp.Body.Error.ErrCode);
        Assert.Equal(ErrorCodes.ParameterNotWritable, Assert.Single(resp.Body.Error.ParamErrs).ErrCode);
        Assert.Equal("test-1-104", _agent.Value(sub + "Alias"));
    }

    [Fact]
    public void SetReadOnlyOutOfRangeAndMissingInstanceGiveSpecificCodes()
    {
        var resp = _agent.Set(true,
            ("Device.LocalAgent.", [("EndpointID", "proto::x", true)]),
            ("Device.LocalAgent.Controller.1.", [("USPNotifRetryMinimumWaitInterval", "0", true)]),
            ("Device.LocalAgent.Controller.7.", [("Enable", "true", true)]),
            ("Device.LocalAgent.Controller.1.MTP.1.", [("CoAP.Port", "5691", true)]));

        var results = resp.Body.Response.SetResp.UpdatedObjResults;
        Assert.Equal(ErrorCodes.ParameterNotWritable, results[0].OperStatus.OperFailure.UpdatedInstFailures[0].ParamErrs[0].ErrCode);
        Assert.Equal(ErrorCodes.InvalidValue, results[1].OperStatus.OperFailure.UpdatedInstFailures[0].ParamErrs[0].ErrCode);
        Assert.Equal(ErrorCodes.ObjectDoesNotExist, results[2].OperStatus.OperFailure.ErrCode);
        Assert.Equal("5691", _agent.Value("Device.LocalAgent.Controller.1.MTP.1.CoAP.Port"));
    }

    [Fact]
    public void SetFunctionalKeyToDuplicateIsRejected()
    {
        var resp = _agent.Set(false, ("Device.LocalAgent.Controller.2.", [("EndpointID", TestAgent.ControllerId, true)]));

        Assert.Equal(Header.Types.MsgType.Error, resp.Header.MsgType);
        Assert.Equal(ErrorCodes.DuplicateUniqueKey, resp.Body.Error.ErrCode);
        Assert.Equal(TestAgent.OtherControllerId, _agent.Value("Device.LocalAgent.Controller.2.EndpointID"));
    }
}

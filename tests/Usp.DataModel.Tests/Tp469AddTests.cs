using Usp.Proto;

namespace Usp.DataModel.Tests;

public sealed class Tp469AddTests : IDisposable
{
    private readonly TestAgent _agent = new();

    public void Dispose() => _agent.Dispose();

    private static (string, string, bool)[] Subscription(string id, string enable = "true", bool enableRequired = false) =>
    [
        ("Enable", enable, enableRequired),
        ("ID", id, false),
        ("NotifType", "ValueChange", false),
        ("ReferenceList", "Device.LocalAgent.SoftwareVersion", true),
    ];

    private static void AssertCreatedSubscription(AddResp.Types.CreatedObjectResult result, string id)
    {
        var success = result.OperStatus.OperSuccess;
        Assert.NotNull(success);
        Assert.Empty(success.ParamErrs);
        Assert.Equal(["Alias", "ID", "Recipient"], success.UniqueKeys.Keys.Order());
        Assert.Equal(id, success.UniqueKeys["ID"]);
        Assert.Equal("Device.LocalAgent.Controller.1", success.UniqueKeys["Recipient"]);
        Assert.Matches(@"^Device\.LocalAgent\.Subscription\.\d+\.$", success.InstantiatedPath);
    }

    private void AssertSubscriptionValues(string path, string id)
    {
        var resolved = Assert.Single(Assert.Single(_agent.Get(path).ReqPathResults).ResolvedPathResults);
        Assert.Equal("true", resolved.ResultParams["Enable"]);
        Assert.Equal(id, resolved.ResultParams["ID"]);
        Assert.Equal("ValueChange", resolved.ResultParams["NotifType"]);
        Assert.Equal("Device.LocalAgent.SoftwareVersion", resolved.ResultParams["ReferenceList"]);
    }

    private int SubscriptionCount() => _agent.GetInstances(true, "Device.LocalAgent.Subscription.").ReqPathResults[0].CurrInsts.Count;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tp469_1_1_and_1_2_AddSingleObjectRequiredParamsSucceed(bool allowPartial)
    {
        var resp = _agent.Add(allowPartial, ("Device.LocalAgent.Subscription.", Subscription("add1")));

        Assert.Equal(Header.Types.MsgType.AddResp, resp.Header.MsgType);
        var result = Assert.Single(resp.Body.Response.AddResp.CreatedObjResults);
        Assert.Equal("Device.LocalAgent.Subscription.", result.RequestedPath);
        AssertCreatedSubscription(result, "add1");
        AssertSubscriptionValues(result.OperStatus.OperSuccess.InstantiatedPath, "add1");
    }

    [Fact]
    public void Tp469_1_3_AddRequiredParamFailsGivesErrorAndCreatesNothing()
    {
        var resp = _agent.Add(false, ("Device.LocalAgent.Subscription.", Subscription("add3", "InvalidValue", enableRequired: true)));

        Assert.Equal(Header.Types.MsgType.Error, resp.Header.MsgType);
        Assert.Equal(ErrorCodes.InvalidType, resp.Body.Error.ErrCode);
        var pe = Assert.Single(resp.Body.Error.ParamErrs);
        Assert.EndsWith("Enable", pe.ParamPath);
        Assert.Equal(ErrorCodes.InvalidType, pe.ErrCode);
        Assert.Equal(0, SubscriptionCount());
    }

    [Fact]
    public void Tp469_1_4_AddInvalidObjectGivesError()
    {
        var resp = _agent.Add(false, ("Device.LocalAgent.InvalidObject.", Subscription("add4")));

        Assert.Equal(Header.Types.MsgType.Error, resp.Header.MsgType);
        Assert.Equal(ErrorCodes.InvalidPath, resp.Body.Error.ErrCode);
        var pe = Assert.Single(resp.Body.Error.ParamErrs);
        Assert.Equal("Device.LocalAgent.InvalidObject.", pe.ParamPath);
        Assert.Equal(ErrorCodes.InvalidPath, pe.ErrCode);
        Assert.Equal(0, SubscriptionCount());
    }

    [Fact]
    public void Tp469_1_5_AddMultipleObjects()
    {
        var resp = _agent.Add(false,
            ("Device.LocalAgent.Subscription.", Subscription("add51")),
            ("Device.LocalAgent.Subscription.", Subscription("add52")));

        var results = resp.Body.Response.AddResp.CreatedObjResults;
        Assert.Equal(2, results.Count);
        AssertCreatedSubscription(results[0], "add51");
        AssertCreatedSubscription(results[1], "add52");
        AssertSubscriptionValues(results[0].OperStatus.OperSuccess.InstantiatedPath, "add51");
        AssertSubscriptionValues(results[1].OperStatus.OperSuccess.InstantiatedPath, "add52");
    }

    [Fact]
    public void Tp469_1_6_AddMultipleObjectsWithInvalidObjectGivesErrorAndCreatesNothing()
    {
        var resp = _agent.Add(false,
            ("Device.LocalAgent.Subscription.", Subscription("add6")),
            ("Device.LocalAgent.InvalidObject.", Subscription("add6b")));

        Assert.Equal(Header.Types.MsgType.Error, resp.Header.MsgType);
        var pe = Assert.Single(resp.Body.Error.ParamErrs);
        Assert.Equal("Device.LocalAgent.InvalidObject.", pe.ParamPath);
        Assert.Equal(ErrorCodes.InvalidPath, pe.ErrCode);
        Assert.Equal(0, SubscriptionCount());
    }

    [Fact]
    public void Tp469_1_7_AddMultipleObjectsRequiredParamFailsInOneGivesError()
    {
        var resp = _agent.Add(false,
            ("Device.LocalAgent.Subscription.", Subscription("add71")),
            ("Device.LocalAgent.Subscription.", Subscription("add72", "InvalidValue", enableRequired: true)));

        Assert.Equal(Header.Types.MsgType.Error, resp.Header.MsgType);
        var pe = Assert.Single(resp.Body.Error.ParamErrs);
        Assert.EndsWith("Enable", pe.ParamPath);
        Assert.Equal(ErrorCodes.InvalidType, pe.ErrCode);
        var ids = _agent.Get("Device.LocalAgent.Subscription.*.ID").ReqPathResults[0].ResolvedPathResults.Select(r => r.ResultParams["ID"]);
        Assert.DoesNotContain("add71", ids);
        Assert.DoesNotContain("add72", ids);
    }

    [Fact]
    public void Tp469_1_8_AddAllowPartialRequiredParamInvalidTypeGivesOperFailure()
    {
        var resp = _agent.Add(true, ("Device.LocalAgent.Subscription.", Subscription("add8", "InvalidValue", enableRequired: true)));

        var result = Assert.Single(resp.Body.Response.AddResp.CreatedObjResults);
        Assert.Equal(ErrorCodes.InvalidType, result.OperStatus.OperFailure.ErrCode);
        Assert.Empty(_agent.Get("Device.LocalAgent.Subscription.[ID==\"add8\"].").ReqPathResults[0].ResolvedPathResults);
    }

    [Fact]
    public void Tp469_1_9_AddAllowPartialRequiredParamFailsOnlySecondObject()
    {
        // As in the test plan, the second object both repeats the first one's ID and requires an unknown parameter.
        var resp = _agent.Add(true,
            ("Device.LocalAgent.Subscription.", Subscription("add91")),
            ("Device.LocalAgent.Subscription.", [.. Subscription("add91"), ("InvalidParameter", "IrrelevantValue", true)]));

        var results = resp.Body.Response.AddResp.CreatedObjResults;
        Assert.Equal(2, results.Count);
        AssertCreatedSubscription(results[0], "add91");
        Assert.Contains(results[1].OperStatus.OperFailure.ErrCode, new[] { ErrorCodes.UnsupportedParameter, ErrorCodes.DuplicateUniqueKey });
        Assert.Equal(1, SubscriptionCount());
        AssertSubscriptionValues(results[0].OperStatus.OperSuccess.InstantiatedPath, "add91");
    }

    [Fact]
    public void AddAllowPartialDuplicateKeyFailsOnlySecondObject()
    {
        var resp = _agent.Add(true,
            ("Device.LocalAgent.Subscription.", Subscription("dup")),
            ("Device.LocalAgent.Subscription.", Subscription("dup")));

        var results = resp.Body.Response.AddResp.CreatedObjResults;
        AssertCreatedSubscription(results[0], "dup");
        Assert.Equal(ErrorCodes.DuplicateUniqueKey, results[1].OperStatus.OperFailure.ErrCode);
        Assert.Equal(1, SubscriptionCount());
    }

    [Fact]
    public void Tp469_1_10_AddWithUniqueKeyAddressingInPath()
    {
        var resp = _agent.Add(false,
            ("Device.LocalAgent.Controller.[EndpointID==\"proto::controller-test\"&&Alias==\"ctrl-1\"].BootParameter.",
                [("Enable", "true", false), ("ParameterName", "Device.LocalAgent.SoftwareVersion", false)]));

        var success = Assert.Single(resp.Body.Response.AddResp.CreatedObjResults).OperStatus.OperSuccess;
        Assert.Empty(success.ParamErrs);
        Assert.Equal(["Alias", "ParameterName"], success.UniqueKeys.Keys.Order());
        Assert.StartsWith("Device.LocalAgent.Controller.1.BootParameter.", success.InstantiatedPath);
        var resolved = Assert.Single(_agent.Get(success.InstantiatedPath).ReqPathResults[0].ResolvedPathResults);
        Assert.Equal("true", resolved.ResultParams["Enable"]);
        Assert.Equal("Device.LocalAgent.SoftwareVersion", resolved.ResultParams["ParameterName"]);
    }

    [Fact]
    public void Tp469_1_81_AutomaticUniqueKeyGeneration()
    {
        var settings = new (string, string, bool)[] { ("Enable", "true", false), ("NotifType", "ValueChange", false), ("ReferenceList", "Device.LocalAgent.SoftwareVersion", false) };
        var resp = _agent.Add(false, ("Device.LocalAgent.Subscription.", settings), ("Device.LocalAgent.Subscription.", settings));

        var keys = resp.Body.Response.AddResp.CreatedObjResults.Select(r => r.OperStatus.OperSuccess.UniqueKeys).ToList();
        Assert.Equal(2, keys.Count);
        Assert.All(keys, k => Assert.Equal(["Alias", "ID", "Recipient"], k.Keys.Order()));
        Assert.NotEqual(keys[0]["Alias"], keys[1]["Alias"]);
        Assert.NotEqual(keys[0]["ID"], keys[1]["ID"]);
        Assert.Equal(keys[0]["Recipient"], keys[1]["Recipient"]);
    }

    [Fact]
    public void Tp469_1_88_AddWithInvalidUniqueKeyGivesErrorAndCreatesNothing()
    {
        var resp = _agent.Add(false, ("Device.LocalAgent.Subscription.",
            [("Enable", "True", false), ("Alias", "88InvalidAlias", false), ("NotifType", "ValueChange", false), ("ReferenceList", "Device.LocalAgent.SoftwareVersion", false)]));

        Assert.Equal(Header.Types.MsgType.Error, resp.Header.MsgType);
        Assert.InRange(resp.Body.Error.ErrCode, 7000u, 7019u);
        Assert.Equal(0, SubscriptionCount());
    }

    [Fact]
    public void Tp469_1_95_AddWithSearchExpressionCreatesOneRowPerMatch()
    {
        var resp = _agent.Add(false, ("Device.LocalAgent.Controller.[Enable==true].BootParameter.",
            [("Enable", "true", false), ("ParameterName", "Device.LocalAgent.SoftwareVersion", false)]));

        var results = resp.Body.Response.AddResp.CreatedObjResults;
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.NotNull(r.OperStatus.OperSuccess));
        var all = _agent.Get("Device.LocalAgent.Controller.*.BootParameter.").ReqPathResults[0].ResolvedPathResults.Select(r => r.ResolvedPath).ToList();
        Assert.Contains(results[0].OperStatus.OperSuccess.InstantiatedPath, all);
        Assert.Contains(results[1].OperStatus.OperSuccess.InstantiatedPath, all);
    }

    [Fact]
    public void AddNonRequiredParamFailureIsReportedInOperSuccess()
    {
        var resp = _agent.Add(false, ("Device.LocalAgent.Subscription.",
            [("Enable", "true", false), ("NotifRetry", "maybe", false), ("Bogus", "1", false)]));

        var success = Assert.Single(resp.Body.Response.AddResp.CreatedObjResults).OperStatus.OperSuccess;
        Assert.Equal(2, success.ParamErrs.Count);
        Assert.Contains(success.ParamErrs, e => e.Param == "NotifRetry" && e.ErrCode == ErrorCodes.InvalidType);
        Assert.Contains(success.ParamErrs, e => e.Param == "Bogus" && e.ErrCode == ErrorCodes.UnsupportedParameter);
    }

    [Fact]
    public void AddToReadOnlyTableOrSingleObjectFails()
    {
        var notCreatable = _agent.Add(true, ("Device.LocalAgent.Certificate.", []), ("Device.LocalAgent.", []), ("Device.LocalAgent.Controller.9.MTP.", []));

        var results = notCreatable.Body.Response.AddResp.CreatedObjResults;
        Assert.Equal(ErrorCodes.ObjectNotCreatable, results[0].OperStatus.OperFailure.ErrCode);
        Assert.Equal(ErrorCodes.ObjectNotATable, results[1].OperStatus.OperFailure.ErrCode);
        Assert.Equal(ErrorCodes.ObjectDoesNotExist, results[2].OperStatus.OperFailure.ErrCode);
    }

    [Fact]
    public void AddReadOnlyParamIsRejected()
    {
        var resp = _agent.Add(false, ("Device.LocalAgent.Subscription.", [("Recipient", "Device.LocalAgent.Controller.2", true)]));

        Assert.Equal(Header.Types.MsgType.Error, resp.Header.MsgType);
        Assert.Equal(ErrorCodes.ParameterNotWritable, resp.Body.Error.ParamErrs[0].ErrCode);
    }

    [Fact]
    public void InstanceNumbersAreNeverReused()
    {
        var first = _agent.AddSubscription("a");
        Assert.Equal(Header.Types.MsgType.DeleteResp, _agent.Delete(false, first).Header.MsgType);
        var second = _agent.AddSubscription("b");

        Assert.NotEqual(first, second);
        Assert.Equal("Device.LocalAgent.Subscription.2.", second);
    }
}

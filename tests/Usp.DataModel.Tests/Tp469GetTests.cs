using Usp.Proto;

namespace Usp.DataModel.Tests;

public sealed class Tp469GetTests : IDisposable
{
    private readonly TestAgent _agent = new();

    public void Dispose() => _agent.Dispose();

    private static GetResp.Types.RequestedPathResult Ok(GetResp resp)
    {
        var r = Assert.Single(resp.ReqPathResults);
        Assert.Equal(0u, r.ErrCode);
        return r;
    }

    private static void AssertRelativeKeys(GetResp.Types.RequestedPathResult r) =>
        Assert.All(r.ResolvedPathResults, p => Assert.All(p.ResultParams.Keys, k => Assert.DoesNotContain("Device.", k)));

    [Fact]
    public void Tp469_1_36_GetFullParameterPath()
    {
        var r = Ok(_agent.Get("Device.LocalAgent.EndpointID"));

        Assert.Equal("Device.LocalAgent.EndpointID", r.RequestedPath);
        var resolved = Assert.Single(r.ResolvedPathResults);
        Assert.Equal("Device.LocalAgent.", resolved.ResolvedPath);
        var param = Assert.Single(resolved.ResultParams);
        Assert.Equal(("EndpointID", TestAgent.AgentId), (param.Key, param.Value));
    }

    [Fact]
    public void Tp469_1_37_GetMultipleParametersSameObject()
    {
        var resp = _agent.Get("Device.LocalAgent.EndpointID", "Device.LocalAgent.SoftwareVersion");

        Assert.Equal(2, resp.ReqPathResults.Count);
        Assert.All(resp.ReqPathResults, r => Assert.Equal(0u, r.ErrCode));
        Assert.Equal(["Device.LocalAgent.EndpointID", "Device.LocalAgent.SoftwareVersion"], resp.ReqPathResults.Select(r => r.RequestedPath));
        var endpoint = Assert.Single(resp.ReqPathResults[0].ResolvedPathResults);
        Assert.Equal("Device.LocalAgent.", endpoint.ResolvedPath);
        Assert.Equal(TestAgent.AgentId, Assert.Single(endpoint.ResultParams).Value);
        var version = Assert.Single(resp.ReqPathResults[1].ResolvedPathResults);
        Assert.Equal("Device.LocalAgent.", version.ResolvedPath);
        Assert.Equal("SoftwareVersion", Assert.Single(version.ResultParams).Key);
        Assert.NotEmpty(version.ResultParams["SoftwareVersion"]);
    }

    [Fact]
    public void Tp469_1_38_GetMultipleParametersDifferentObjects()
    {
        var sub = _agent.AddSubscription("get38");

        var resp = _agent.Get("Device.LocalAgent.EndpointID", sub + "Enable");

        Assert.Equal(2, resp.ReqPathResults.Count);
        Assert.All(resp.ReqPathResults, r => Assert.Equal(0u, r.ErrCode));
        Assert.Equal(["Device.LocalAgent.EndpointID", sub + "Enable"], resp.ReqPathResults.Select(r => r.RequestedPath));
        var endpoint = Assert.Single(resp.ReqPathResults[0].ResolvedPathResults);
        Assert.Equal("Device.LocalAgent.", endpoint.ResolvedPath);
        Assert.Equal(("EndpointID", TestAgent.AgentId), (Assert.Single(endpoint.ResultParams).Key, endpoint.ResultParams["EndpointID"]));
        var enable = Assert.Single(resp.ReqPathResults[1].ResolvedPathResults);
        Assert.Equal(sub, enable.ResolvedPath);
        Assert.Equal(("Enable", "true"), (Assert.Single(enable.ResultParams).Key, enable.ResultParams["Enable"]));
    }

    [Fact]
    public void Tp469_1_39_GetObjectPathReturnsObjectAndAllSubObjects()
    {
        var r = Ok(_agent.Get("Device.LocalAgent."));

        var paths = r.ResolvedPathResults.Select(p => p.ResolvedPath).ToList();
        Assert.Equal("Device.LocalAgent.", paths[0]);
        Assert.Contains("EndpointID", r.ResolvedPathResults[0].ResultParams.Keys);
        Assert.DoesNotContain("Enable", r.ResolvedPathResults[0].ResultParams.Keys);
        Assert.Contains("Device.LocalAgent.MTP.1.", paths);
        Assert.Contains("Device.LocalAgent.MTP.1.CoAP.", paths);
        Assert.Contains("Device.LocalAgent.Controller.1.MTP.1.CoAP.", paths);
        Assert.Contains("Device.LocalAgent.ControllerTrust.Role.1.Permission.1.", paths);
        Assert.Equal("5683", r.ResolvedPathResults.Single(p => p.ResolvedPath == "Device.LocalAgent.MTP.1.CoAP.").ResultParams["Port"]);
        AssertRelativeKeys(r);
    }

    [Fact]
    public void Tp469_1_40_GetObjectInstancePath()
    {
        var sub = _agent.AddSubscription("get40");

        var r = Ok(_agent.Get(sub));

        var resolved = Assert.Single(r.ResolvedPathResults);
        Assert.Equal(sub, resolved.ResolvedPath);
        Assert.Equal("get40", resolved.ResultParams["ID"]);
        Assert.Contains("NotifExpiration", resolved.ResultParams.Keys);
        AssertRelativeKeys(r);
    }

    [Fact]
    public void Tp469_1_41_GetInvalidParameter()
    {
        var r = Assert.Single(_agent.Get("Device.LocalAgent.InvalidParameter").ReqPathResults);

        Assert.Equal("Device.LocalAgent.InvalidParameter", r.RequestedPath);
        Assert.Equal(ErrorCodes.InvalidPath, r.ErrCode);
        Assert.Contains("InvalidParameter", r.ErrMsg);
        Assert.Empty(r.ResolvedPathResults);
    }

    [Fact]
    public void Tp469_1_42_GetInvalidAndValidParameter()
    {
        var resp = _agent.Get("Device.LocalAgent.EndpointID", "Device.LocalAgent.InvalidParameter");

        Assert.Equal(0u, resp.ReqPathResults[0].ErrCode);
        var resolved = Assert.Single(resp.ReqPathResults[0].ResolvedPathResults);
        Assert.Equal("Device.LocalAgent.", resolved.ResolvedPath);
        Assert.Equal(TestAgent.AgentId, resolved.ResultParams["EndpointID"]);
        Assert.Equal("Device.LocalAgent.InvalidParameter", resp.ReqPathResults[1].RequestedPath);
        Assert.Equal(ErrorCodes.InvalidPath, resp.ReqPathResults[1].ErrCode);
    }

    [Fact]
    public void Tp469_1_43_GetWithUniqueKeyAddressing()
    {
        var add = _agent.Add(false, ("Device.LocalAgent.Subscription.", [("Alias", "sub-43", false), ("Enable", "true", false)]));
        var sub = add.Body.Response.AddResp.CreatedObjResults[0].OperStatus.OperSuccess.InstantiatedPath;

        var r = Ok(_agent.Get("Device.LocalAgent.Subscription.[Alias==\"sub-43\"].Enable"));

        var resolved = Assert.Single(r.ResolvedPathResults);
        Assert.Equal(sub, resolved.ResolvedPath);
        Assert.Equal("true", resolved.ResultParams["Enable"]);
    }

    [Fact]
    public void Tp469_1_44_GetWildcardOnParameter()
    {
        var a = _agent.AddSubscription("get44a");
        var b = _agent.AddSubscription("get44b", enable: false);

        var r = Ok(_agent.Get("Device.LocalAgent.Subscription.*.Enable"));

        Assert.Equal([a, b], r.ResolvedPathResults.Select(p => p.ResolvedPath));
        Assert.Equal(["true", "false"], r.ResolvedPathResults.Select(p => Assert.Single(p.ResultParams).Value));
    }

    [Fact]
    public void Tp469_1_45_GetWildcardOnObject()
    {
        var a = _agent.AddSubscription("get45a");
        var b = _agent.AddSubscription("get45b");

        var r = Ok(_agent.Get("Device.LocalAgent.Subscription.*."));

        Assert.Equal([a, b], r.ResolvedPathResults.Select(p => p.ResolvedPath));
        Assert.All(r.ResolvedPathResults, p => Assert.Contains("NotifType", p.ResultParams.Keys));
        AssertRelativeKeys(r);
    }

    [Theory]
    [InlineData("[Enable==true]", new[] { "on" })]
    [InlineData("[Enable!=true]", new[] { "off" })]
    [InlineData("[Enable == 1]", new[] { "on" })]
    public void Tp469_1_46_and_1_47_GetSearchExpressionEquality(string expression, string[] expectedIds)
    {
        _agent.AddSubscription("on", enable: true);
        _agent.AddSubscription("off", enable: false);

        var r = Ok(_agent.Get($"Device.LocalAgent.Subscription.{expression}."));

        Assert.Equal(expectedIds, r.ResolvedPathResults.Select(p => p.ResultParams["ID"]));
        AssertRelativeKeys(r);
    }

    [Theory]
    [InlineData("[NotifExpiration>10]", new[] { "e20" })]
    [InlineData("[NotifExpiration<10]", new[] { "e5" })]
    [InlineData("[NotifExpiration>=10]", new[] { "e10", "e20" })]
    [InlineData("[NotifExpiration<=10]", new[] { "e10", "e5" })]
    [InlineData("[NotifExpiration >= 10 && Enable == true]", new[] { "e10", "e20" })]
    public void Tp469_1_48_to_1_51_GetSearchExpressionComparisons(string expression, string[] expectedIds)
    {
        _agent.AddSubscription("e10", notifExpiration: "10");
        _agent.AddSubscription("e20", notifExpiration: "20");
        _agent.AddSubscription("e5", notifExpiration: "5");

        var r = Ok(_agent.Get($"Device.LocalAgent.Subscription.{expression}."));

        Assert.Equal(expectedIds, r.ResolvedPathResults.Select(p => p.ResultParams["ID"]));
        AssertRelativeKeys(r);
    }

    [Theory]
    [InlineData(false)]   // 1.82: no Subscription at all
    [InlineData(true)]    // 1.86: only disabled ones
    public void Tp469_1_82_and_1_86_GetUnmatchedSearchExpressionGivesEmptyResult(bool disabledSubscriptionExists)
    {
        if (disabledSubscriptionExists)
            _agent.AddSubscription("disabled", enable: false);

        var r = Ok(_agent.Get("Device.LocalAgent.Subscription.[Enable==true]."));

        Assert.Equal("Device.LocalAgent.Subscription.[Enable==true].", r.RequestedPath);
        Assert.Empty(r.ResolvedPathResults);
    }

    [Fact]
    public void Tp469_1_87_GetEmptyTableObjectPathGivesEmptyResult()
    {
        var r = Ok(_agent.Get("Device.LocalAgent.Subscription."));

        Assert.Empty(r.ResolvedPathResults);
    }

    [Fact]
    public void Tp469_1_89_GetWithMaxDepth()
    {
        var depth1 = Ok(_agent.Get(1, "Device.LocalAgent."));
        var only = Assert.Single(depth1.ResolvedPathResults);
        Assert.Equal("Device.LocalAgent.", only.ResolvedPath);
        Assert.Contains("EndpointID", only.ResultParams.Keys);

        var depth2 = Ok(_agent.Get(2, "Device.LocalAgent."));
        var paths2 = depth2.ResolvedPathResults.Select(p => p.ResolvedPath).ToList();
        Assert.Contains("Device.LocalAgent.MTP.1.", paths2);
        Assert.Contains("Device.LocalAgent.Controller.1.", paths2);
        Assert.Contains("Device.LocalAgent.ControllerTrust.", paths2);
        Assert.DoesNotContain("Device.LocalAgent.MTP.1.CoAP.", paths2);
        Assert.DoesNotContain("Device.LocalAgent.ControllerTrust.Role.1.", paths2);

        var depth3 = Ok(_agent.Get(3, "Device.LocalAgent."));
        var paths3 = depth3.ResolvedPathResults.Select(p => p.ResolvedPath).ToList();
        Assert.Contains("Device.LocalAgent.MTP.1.CoAP.", paths3);
        Assert.Contains("Device.LocalAgent.ControllerTrust.Role.1.", paths3);
        Assert.DoesNotContain("Device.LocalAgent.ControllerTrust.Role.1.Permission.1.", paths3);
        AssertRelativeKeys(depth3);
    }

    [Fact]
    public void GetReferenceFollowingAndListReferences()
    {
        var sub = _agent.AddSubscription("ref");

        Assert.Equal(TestAgent.ControllerId, _agent.Value(sub + "Recipient+.EndpointID"));
        Assert.Equal("Full Access", _agent.Value("Device.LocalAgent.Controller.1.AssignedRole#1+.Name"));
        Assert.Equal("Full Access", _agent.Value("Device.LocalAgent.Controller.1.AssignedRole#*+.Name"));
        var search = Ok(_agent.Get("Device.LocalAgent.Subscription.[Recipient+.Alias==\"ctrl-1\"].ID"));
        Assert.Equal("ref", Assert.Single(search.ResolvedPathResults).ResultParams["ID"]);
        Assert.Empty(Ok(_agent.Get("Device.LocalAgent.Controller.2.AssignedRole+.Name")).ResolvedPathResults);
    }

    [Fact]
    public void GetLiveAndDefaultValues()
    {
        Assert.Equal("2.18", _agent.Value("Device.RootDataModelVersion"));
        Assert.Matches(@"^\d+$", _agent.Value("Device.DeviceInfo.UpTime"));
        Assert.Matches(@"^\d+$", _agent.Value("Device.DeviceInfo.MemoryStatus.Total"));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT", _agent.Value("Device.Time.CurrentLocalTime"));
        Assert.Equal("2", _agent.Value("Device.LocalAgent.ControllerNumberOfEntries"));
        Assert.Equal("CoAP", _agent.Value("Device.LocalAgent.SupportedProtocols"));
        Assert.Equal("2000", _agent.Value("Device.LocalAgent.Controller.1.USPNotifRetryIntervalMultiplier"));
    }

    [Theory]
    [InlineData("Device.LocalAgent.Subscription.[Enable==\"true\"].", ErrorCodes.InvalidPathSyntax)]
    [InlineData("Device.LocalAgent.Subscription.[].", ErrorCodes.InvalidPathSyntax)]
    [InlineData("Device.LocalAgent.Subscription.[ID>\"a\"].", ErrorCodes.InvalidPathSyntax)]
    [InlineData("Device.LocalAgent.Subscription.[Nope==1].", ErrorCodes.InvalidPath)]
    [InlineData("Device.LocalAgent.Subscription.{i}.", ErrorCodes.InvalidPathSyntax)]
    [InlineData("Device.LocalAgent.Subscription.0.", ErrorCodes.InvalidPathSyntax)]
    [InlineData("Device..LocalAgent.", ErrorCodes.InvalidPathSyntax)]
    [InlineData("Device.LocalAgent. EndpointID", ErrorCodes.InvalidPathSyntax)]
    [InlineData("NotDevice.LocalAgent.", ErrorCodes.InvalidPathSyntax)]
    [InlineData("Device.LocalAgent.Controller.Enable", ErrorCodes.InvalidPath)]
    [InlineData("Device.LocalAgent.1.", ErrorCodes.InvalidPath)]
    [InlineData("Device.LocalAgent.EndpointID.", ErrorCodes.InvalidPath)]
    [InlineData("Device.LocalAgent.Controller.3.Enable", ErrorCodes.InvalidPath)]
    [InlineData("Device.LocalAgent.Controller.1.Enable#2+.X", ErrorCodes.InvalidPath)]
    [InlineData("Device.Reboot()", ErrorCodes.InvalidPath)]
    [InlineData("", ErrorCodes.InvalidPathSyntax)]
    public void GetBadPathsGiveSpecificErrors(string path, uint code)
    {
        var r = Assert.Single(_agent.Get(path).ReqPathResults);

        Assert.Equal(code, r.ErrCode);
        Assert.False(string.IsNullOrWhiteSpace(r.ErrMsg));
        Assert.Empty(r.ResolvedPathResults);
    }
}

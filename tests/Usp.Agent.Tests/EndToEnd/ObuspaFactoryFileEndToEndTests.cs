using Usp.Proto;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>
/// An OB-USP-Agent factory-reset file defines no Role (OB-USP-Agent's roles are built in) and gives its Controller
/// <c>Role.1</c>: the agent materialises the built-in roles, so roles added later change nothing for that Controller.
/// </summary>
public sealed class ObuspaFactoryFileEndToEndTests
{
    private const string ResourcePath = "agent";

    /// <summary>The shape of OB-USP-Agent's factory-reset-coap example: no Role lines, its own Internal.* entries.</summary>
    private static string ObuspaStyle(int controllerPort, bool encrypted) =>
        $"Device.LocalAgent.EndpointID \"{E2EAgent.AgentId}\"\n"
        + FactoryDefaultsText.AgentCoapMtp(1, encrypted ? 5684 : 5683, ResourcePath, encrypted, alias: "cpe-1")
        + $"""
        Device.LocalAgent.Controller.1.Alias "cpe-1"
        Device.LocalAgent.Controller.1.EndpointID "{E2EAgent.ControllerId}"
        Device.LocalAgent.Controller.1.Enable "true"
        Device.LocalAgent.Controller.1.AssignedRole "Device.LocalAgent.ControllerTrust.Role.1"
        Device.LocalAgent.Controller.1.PeriodicNotifInterval "86400"
        Device.LocalAgent.Controller.1.USPNotifRetryMinimumWaitInterval "5"
        Device.LocalAgent.Controller.1.USPNotifRetryIntervalMultiplier "2000"

        """
        + FactoryDefaultsText.ControllerCoapMtp(1, "127.0.0.1", controllerPort, "ctrl", encrypted, alias: "cpe-1")
        + "Internal.Reboot.Cause \"LocalFactoryReset\"\n";

    [Theory]
    [InlineData(E2ETransport.Coap)]
    [InlineData(E2ETransport.Coaps)]
    public async Task The_configured_Controller_keeps_full_access_after_adding_a_Role_and_a_Permission_over_CoAP(E2ETransport transport)
    {
        await using E2EAgent e2e = await E2EAgent.StartAsync(transport, factoryDefaults: ObuspaStyle, resourcePath: ResourcePath);

        // The built-in roles are real rows at the numbers OB-USP-Agent's files use.
        var (roles, _) = await e2e.WithAgentLogAsync(e2e.RoundTripAsync(E2EAgent.Get("ob-roles", "Device.LocalAgent.ControllerTrust.")));
        var resolved = Assert.Single(roles.Body.Response.GetResp.ReqPathResults).ResolvedPathResults;
        Assert.Equal("Full Access", Assert.Single(resolved, r => r.ResolvedPath == "Device.LocalAgent.ControllerTrust.Role.1.").ResultParams["Name"]);
        Assert.Equal("Untrusted", Assert.Single(resolved, r => r.ResolvedPath == "Device.LocalAgent.ControllerTrust.Role.2.").ResultParams["Name"]);
        Assert.Equal("Device.LocalAgent.ControllerTrust.Role.2",
            Assert.Single(resolved, r => r.ResolvedPath == "Device.LocalAgent.ControllerTrust.").ResultParams["UntrustedRole"]);

        var (role, _) = await e2e.RoundTripAsync(E2EAgent.Add("ob-add-role", "Device.LocalAgent.ControllerTrust.Role.", ("Enable", "true"), ("Name", "Operator")));
        string operatorRole = E2EAgent.Created(role);
        Assert.Equal("Device.LocalAgent.ControllerTrust.Role.3.", operatorRole);
        var (permission, _) = await e2e.RoundTripAsync(E2EAgent.Add("ob-add-permission", operatorRole + "Permission.",
            ("Enable", "true"), ("Order", "1"), ("Targets", "Device.DeviceInfo."), ("Param", "r---"), ("Obj", "r---"), ("InstantiatedObj", "r---"), ("CommandEvent", "r---")));
        Assert.StartsWith(operatorRole + "Permission.", E2EAgent.Created(permission));

        // Still full access: a Set, an Add and a Delete anywhere in the data model succeed.
        var set = new Set
        {
            UpdateObjs =
            {
                new Set.Types.UpdateObject
                {
                    ObjPath = "Device.LocalAgent.Controller.1.",
                    ParamSettings = { new Set.Types.UpdateParamSetting { Param = "PeriodicNotifInterval", Value = "3600", Required = true } },
                },
            },
        };
        var (setResp, _) = await e2e.RoundTripAsync(E2EAgent.Request("ob-set", Header.Types.MsgType.Set, new Request { Set = set }));
        Assert.Equal(Header.Types.MsgType.SetResp, setResp.Header.MsgType);
        Assert.Equal("3600", Assert.Single(Assert.Single(setResp.Body.Response.SetResp.UpdatedObjResults).OperStatus.OperSuccess.UpdatedInstResults).UpdatedParams["PeriodicNotifInterval"]);
        var (subscription, _) = await e2e.RoundTripAsync(E2EAgent.Add("ob-add-sub", "Device.LocalAgent.Subscription.", ("ID", "ob-sub"), ("NotifType", "ValueChange"), ("ReferenceList", "Device.LocalAgent.Controller.1.PeriodicNotifInterval")));
        Assert.StartsWith("Device.LocalAgent.Subscription.", E2EAgent.Created(subscription));
        var delete = new Delete { ObjPaths = { operatorRole } };
        var (deleted, _) = await e2e.RoundTripAsync(E2EAgent.Request("ob-delete", Header.Types.MsgType.Delete, new Request { Delete = delete }));
        Assert.Equal(Header.Types.MsgType.DeleteResp, deleted.Header.MsgType);
        Assert.NotNull(Assert.Single(deleted.Body.Response.DeleteResp.DeletedObjResults).OperStatus.OperSuccess);
    }
}

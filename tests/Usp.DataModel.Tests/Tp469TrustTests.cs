using Google.Protobuf;
using Usp.DataModel.Records;
using Usp.DataModel.Schema;
using Usp.DataModel.Security;
using Usp.Proto;

namespace Usp.DataModel.Tests;

/// <summary>
/// TP-469 section 2 (authentication and access control) in-process: the test Controller holds an
/// "Admin" Role (ControllerTrust only) and an empty "Test" Role that each test fills with the
/// Permission of its procedure, so the Permission under test is the only one that covers its target.
/// </summary>
public sealed class Tp469TrustTests : IDisposable
{
    private const string Trust = "Device.LocalAgent.ControllerTrust.";
    private const string TestRole = Trust + "Role.2.";
    private const string UntrustedRole = "Device.LocalAgent.ControllerTrust.Role.3";
    private const string StrangerId = "proto::controller-stranger";

    public const string TrustDefaults = """
        Device.DeviceInfo.Manufacturer "Example Corp"
        Device.DeviceInfo.ManufacturerOUI "00D09E"
        Device.DeviceInfo.SerialNumber "SN-0001"
        Device.DeviceInfo.ModelName "Model-1"
        Device.LocalAgent.Controller.1.Alias "ctrl-1"
        Device.LocalAgent.Controller.1.EndpointID "proto::controller-test"
        Device.LocalAgent.Controller.1.Enable "true"
        Device.LocalAgent.Controller.1.AssignedRole "Device.LocalAgent.ControllerTrust.Role.1,Device.LocalAgent.ControllerTrust.Role.2"
        Device.LocalAgent.Controller.1.BootParameter.1.Enable "true"
        Device.LocalAgent.Controller.1.BootParameter.1.ParameterName "Device.DeviceInfo.SerialNumber"
        Device.LocalAgent.Controller.2.Alias "ctrl-2"
        Device.LocalAgent.Controller.2.EndpointID "proto::controller-other"
        Device.LocalAgent.Controller.2.Enable "true"
        Device.LocalAgent.ControllerTrust.UntrustedRole "Device.LocalAgent.ControllerTrust.Role.3"
        Device.LocalAgent.ControllerTrust.Role.1.Enable "true"
        Device.LocalAgent.ControllerTrust.Role.1.Name "Admin"
        Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Enable "true"
        Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Order "1"
        Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Targets "Device.LocalAgent.ControllerTrust."
        Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Param "rwxn"
        Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Obj "rwxn"
        Device.LocalAgent.ControllerTrust.Role.1.Permission.1.InstantiatedObj "rwxn"
        Device.LocalAgent.ControllerTrust.Role.1.Permission.1.CommandEvent "rwxn"
        Device.LocalAgent.ControllerTrust.Role.2.Enable "true"
        Device.LocalAgent.ControllerTrust.Role.2.Name "Test"
        Device.LocalAgent.ControllerTrust.Role.3.Enable "true"
        Device.LocalAgent.ControllerTrust.Role.3.Name "Untrusted"
        Device.LocalAgent.ControllerTrust.Role.3.Permission.1.Enable "true"
        Device.LocalAgent.ControllerTrust.Role.3.Permission.1.Order "1"
        Device.LocalAgent.ControllerTrust.Role.3.Permission.1.Targets "Device.DeviceInfo."
        Device.LocalAgent.ControllerTrust.Role.3.Permission.1.Param "r---"
        Device.LocalAgent.ControllerTrust.Role.3.Permission.1.Obj "r---"
        Device.LocalAgent.ControllerTrust.Role.3.Permission.1.InstantiatedObj "r---"
        Device.LocalAgent.ControllerTrust.Role.3.Permission.1.CommandEvent "r---"
        """;

    private readonly TestAgent _agent = new(defaults: TrustDefaults, areas: [new SecretArea()]);

    public void Dispose() => _agent.Dispose();

    /// <summary>A vendor object with one secured parameter (TR-106 <c>secured</c>), for 2.27.</summary>
    private sealed class SecretArea : IDataModelArea
    {
        public void Register(SchemaBuilder builder) =>
            builder.Object("Device.X_EXAMPLE_Secret.")
                .Param("Label", ParamType.String, ParamAccess.ReadWrite, "secret-holder")
                .Param("Key", ParamType.String, ParamAccess.ReadWrite, "s3cr3t", secured: true);
    }

    private string AddPermission(string targets, string param, string obj, string inst, string cmd, uint order, string role = TestRole)
    {
        var resp = _agent.Add(false, (role + "Permission.",
        [
            ("Enable", "true", true), ("Targets", targets, true), ("Param", param, true), ("Obj", obj, true),
            ("InstantiatedObj", inst, true), ("CommandEvent", cmd, true), ("Order", order.ToString(System.Globalization.CultureInfo.InvariantCulture), true),
        ]));
        Assert.Equal(Header.Types.MsgType.AddResp, resp.Header.MsgType);
        var created = Assert.Single(resp.Body.Response.AddResp.CreatedObjResults);
        Assert.StartsWith(role + "Permission.", created.OperStatus.OperSuccess.InstantiatedPath);
        return created.OperStatus.OperSuccess.InstantiatedPath;
    }

    private static Msg GetMsg(string msgId, string path) => new()
    {
        Header = new Header { MsgId = msgId, MsgType = Header.Types.MsgType.Get },
        Body = new Body { Request = new Request { Get = new Get { ParamPaths = { path } } } },
    };

    private static uint PathError(GetResp resp) => Assert.Single(resp.ReqPathResults).ErrCode;

    [Fact]
    public void Tp469_2_1_RecordFromTheAgentsOwnEndpointIdGetsNoResponse()
    {
        var result = _agent.Engine.HandleRecord(TestAgent.EncodeRecord(GetMsg("m1", "Device.DeviceInfo."), from: TestAgent.AgentId), SenderIdentity.Unauthenticated);

        Assert.True(result.Dropped);
        Assert.Empty(result.Responses);
    }

    [Fact]
    public void Tp469_2_2_RecordWithoutTheAgentsToIdGetsNoResponse()
    {
        var result = _agent.Engine.HandleRecord(TestAgent.EncodeRecord(GetMsg("m1", "Device.DeviceInfo."), to: "proto::not-this-agent"), SenderIdentity.Unauthenticated);

        Assert.True(result.Dropped);
        Assert.Empty(result.Responses);
    }

    [Fact]
    public void Tp469_2_7_RecordWithAnInvalidSignatureGetsNoResponse()
    {
        var record = Record.Parser.ParseFrom(TestAgent.EncodeRecord(GetMsg("m1", "Device.DeviceInfo.")));
        record.MacSignature = ByteString.CopyFrom(new byte[32]);
        record.SenderCert = ByteString.CopyFromUtf8("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n");

        var result = _agent.Engine.HandleRecord(record.ToByteArray(), new SenderIdentity(TestAgent.ControllerId));

        Assert.True(result.Dropped);
        Assert.Empty(result.Responses);
    }

    [Fact]
    public void Tp469_2_9_ControllerWithoutRoleIsAssignedTheUntrustedRole()
    {
        Assert.Equal("", _agent.Engine.GetValue("Device.LocalAgent.Controller.2.AssignedRole"));

        // Step 1: the secondary Controller talks to the agent; the Untrusted role lets it read DeviceInfo only.
        Assert.Equal("Model-1", Assert.Single(Assert.Single(_agent.GetAs(TestAgent.OtherControllerId, 0, "Device.DeviceInfo.ModelName").ReqPathResults).ResolvedPathResults).ResultParams["ModelName"]);
        Assert.Equal(ErrorCodes.InvalidPath, PathError(_agent.GetAs(TestAgent.OtherControllerId, 0, "Device.LocalAgent.EndpointID")));

        // Step 2: the primary Controller reads the Controller table.
        AddPermission("Device.LocalAgent.Controller.", "r---", "r---", "r---", "----", 1);
        var untrusted = _agent.Value(Trust + "UntrustedRole");
        var controllers = Assert.Single(_agent.Get("Device.LocalAgent.Controller.").ReqPathResults);
        var secondary = Assert.Single(controllers.ResolvedPathResults, r => r.ResolvedPath == "Device.LocalAgent.Controller.2.");
        Assert.Equal(untrusted, secondary.ResultParams["AssignedRole"]);
        Assert.Equal(UntrustedRole, untrusted);
    }

    [Fact]
    public void Tp469_2_9_ControllerNotInTheControllerTableGetsTheUntrustedRole()
    {
        Assert.Equal(0u, PathError(_agent.GetAs(StrangerId, 0, "Device.DeviceInfo.Manufacturer")));
        Assert.Equal(ErrorCodes.InvalidPath, PathError(_agent.GetAs(StrangerId, 0, "Device.LocalAgent.")));
        var set = new Set { UpdateObjs = { new Set.Types.UpdateObject { ObjPath = "Device.LocalAgent.Controller.1.", ParamSettings = { new Set.Types.UpdateParamSetting { Param = "ProvisioningCode", Value = "x", Required = true } } } } };
        var resp = _agent.Send(new Request { Set = set }, Header.Types.MsgType.Set, StrangerId);
        Assert.Equal(ErrorCodes.PermissionDenied, Assert.Single(resp.Body.Error.ParamErrs).ErrCode);
    }

    [Fact]
    public void Tp469_2_10_AddingARole()
    {
        var resp = _agent.Add(false, (Trust + "Role.", [("Enable", "true", false), ("Name", "Operator", true)]));

        var created = Assert.Single(resp.Body.Response.AddResp.CreatedObjResults).OperStatus.OperSuccess;
        Assert.Equal(Trust + "Role.4.", created.InstantiatedPath);
        Assert.Equal("Operator", created.UniqueKeys["Name"]);
    }

    [Fact]
    public void Tp469_2_11_ObjectCreationAllowed()
    {
        AddPermission("Device.LocalAgent.Subscription.", "rwxn", "rw--", "rwxn", "rwxn", 1);

        var resp = _agent.Add(false, ("Device.LocalAgent.Subscription.", []));

        Assert.StartsWith("Device.LocalAgent.Subscription.", Assert.Single(resp.Body.Response.AddResp.CreatedObjResults).OperStatus.OperSuccess.InstantiatedPath);
    }

    [Fact]
    public void Tp469_2_12_ObjectCreationNotAllowed()
    {
        AddPermission("Device.LocalAgent.Subscription.", "rwxn", "r---", "rwxn", "rwxn", 1);

        var resp = _agent.Add(false, ("Device.LocalAgent.Subscription.", []));

        // Metric 2: an Error containing type 7006 Permission Denied.
        Assert.Equal(Header.Types.MsgType.Error, resp.Header.MsgType);
        Assert.Equal(ErrorCodes.PermissionDenied, resp.Body.Error.ErrCode);
        Assert.Equal("0", _agent.Engine.GetValue("Device.LocalAgent.SubscriptionNumberOfEntries"));
    }

    private string AddSubscriptionWithFullPermission()
    {
        var permission = AddPermission("Device.LocalAgent.Subscription.", "rwxn", "rwxn", "rwxn", "rwxn", 1);
        var sub = _agent.AddSubscription("trust-test");
        _agent.Delete(false, permission);
        return sub;
    }

    [Fact]
    public void Tp469_2_13_ObjectDeletionAllowed()
    {
        var sub = AddSubscriptionWithFullPermission();
        AddPermission("Device.LocalAgent.Subscription.", "rwxn", "rwxn", "rwxn", "rwxn", 2);

        var resp = _agent.Delete(false, sub);

        Assert.Equal(sub, Assert.Single(Assert.Single(resp.Body.Response.DeleteResp.DeletedObjResults).OperStatus.OperSuccess.AffectedPaths));
    }

    [Fact]
    public void Tp469_2_14_ObjectDeletionNotAllowed()
    {
        var sub = AddSubscriptionWithFullPermission();
        AddPermission("Device.LocalAgent.Subscription.", "rwxn", "rwxn", "r-xn", "rwxn", 2);

        var resp = _agent.Delete(false, sub);

        Assert.Equal(Header.Types.MsgType.Error, resp.Header.MsgType);
        Assert.Equal(ErrorCodes.PermissionDenied, resp.Body.Error.ErrCode);
        Assert.NotNull(_agent.Engine.GetValue(sub + "ID"));
    }

    [Fact]
    public void Tp469_2_15_ParameterUpdateAllowed()
    {
        var sub = AddSubscriptionWithFullPermission();
        AddPermission("Device.LocalAgent.Subscription.", "rwxn", "rwxn", "rwxn", "rwxn", 2);

        var resp = _agent.Set(false, (sub, [("Enable", "false", true)]));

        var updated = Assert.Single(Assert.Single(resp.Body.Response.SetResp.UpdatedObjResults).OperStatus.OperSuccess.UpdatedInstResults);
        Assert.Equal("false", updated.UpdatedParams["Enable"]);
    }

    [Fact]
    public void Tp469_2_16_ParameterUpdateNotAllowed()
    {
        var sub = AddSubscriptionWithFullPermission();
        AddPermission("Device.LocalAgent.Subscription.", "r-xn", "rwxn", "rwxn", "rwxn", 2);

        var resp = _agent.Set(false, (sub, [("Enable", "false", true)]));

        Assert.Equal(ErrorCodes.PermissionDenied, Assert.Single(resp.Body.Error.ParamErrs).ErrCode);
        Assert.Equal("true", _agent.Engine.GetValue(sub + "Enable"));
    }

    // 2.17–2.20 (Operate and ValueChange under a Permission) are in Tp469TrustOperateNotifyTests, at message level.

    [Fact]
    public void Tp469_2_21_OverlappingPermissionsHigherOrderWins()
    {
        const string boot = "Device.LocalAgent.Controller.1.BootParameter.1.";
        var add = _agent.Add(false,
            (TestRole + "Permission.", [("Enable", "true", true), ("Targets", boot, true), ("Param", "----", true), ("Obj", "rwxn", true), ("InstantiatedObj", "rwxn", true), ("CommandEvent", "rwxn", true), ("Order", "1", true)]),
            (TestRole + "Permission.", [("Enable", "true", true), ("Targets", boot, true), ("Param", "rw--", true), ("Obj", "rwxn", true), ("InstantiatedObj", "rwxn", true), ("CommandEvent", "rwxn", true), ("Order", "2", true)]));
        Assert.Equal(2, add.Body.Response.AddResp.CreatedObjResults.Count(r => r.OperStatus.OperSuccess is not null));

        var before = Assert.Single(_agent.Get("Device.LocalAgent.Controller.1.BootParameter.").ReqPathResults);
        Assert.Equal("Device.DeviceInfo.SerialNumber", Assert.Single(before.ResolvedPathResults, r => r.ResolvedPath == boot).ResultParams["ParameterName"]);

        AddPermission(boot, "----", "rwxn", "rwxn", "rwxn", 3);

        var after = Assert.Single(_agent.Get("Device.LocalAgent.Controller.1.BootParameter.").ReqPathResults);
        Assert.DoesNotContain(after.ResolvedPathResults, r => r.ResolvedPath == boot);
    }

    [Fact]
    public void Tp469_2_22_GetOmitsParametersWithoutReadPermission()
    {
        const string boot = "Device.LocalAgent.Controller.1.BootParameter.1.";
        AddPermission(boot, "r---", "r---", "r---", "----", 1);
        AddPermission(boot + "ParameterName", "----", "r---", "r---", "----", 2);

        var r = Assert.Single(_agent.Get(boot).ReqPathResults);

        var resolved = Assert.Single(r.ResolvedPathResults);
        Assert.Equal("true", resolved.ResultParams["Enable"]);
        Assert.True(resolved.ResultParams.ContainsKey("Alias"));
        Assert.False(resolved.ResultParams.ContainsKey("ParameterName"));
        Assert.Equal(ErrorCodes.InvalidPath, PathError(_agent.Get(boot + "ParameterName")));
    }

    private void AllowBootParameterAddOnBothControllers()
    {
        // The test plan gives both Permissions Order 1, but Order is the Permission table's unique key; 1 and 2 keep its intent.
        AddPermission("Device.LocalAgent.Controller.1.BootParameter.", "rw--", "rwxn", "rwxn", "rwxn", 1);
        AddPermission("Device.LocalAgent.Controller.2.BootParameter.", "r---", "rwxn", "rwxn", "rwxn", 2);
    }

    [Fact]
    public void Tp469_2_23_AddWithSearchPathAllowPartialReportsEachObject()
    {
        AllowBootParameterAddOnBothControllers();

        var resp = _agent.Add(true, ("Device.LocalAgent.Controller.*.BootParameter.", [("Enable", "false", true)]));

        var results = resp.Body.Response.AddResp.CreatedObjResults;
        Assert.Equal(2, results.Count);
        var success = Assert.Single(results, r => r.OperStatus.OperSuccess is not null);
        Assert.StartsWith("Device.LocalAgent.Controller.1.BootParameter.", success.OperStatus.OperSuccess.InstantiatedPath);
        var failure = Assert.Single(results, r => r.OperStatus.OperFailure is not null);
        Assert.Equal(ErrorCodes.PermissionDenied, failure.OperStatus.OperFailure.ErrCode);
        Assert.Equal("0", _agent.Engine.GetValue("Device.LocalAgent.Controller.2.BootParameterNumberOfEntries"));
    }

    [Fact]
    public void Tp469_2_24_AddWithSearchPathNoPartialFailsWithPermissionDenied()
    {
        AllowBootParameterAddOnBothControllers();

        var resp = _agent.Add(false, ("Device.LocalAgent.Controller.*.BootParameter.", [("Enable", "false", true)]));

        Assert.Equal(Header.Types.MsgType.Error, resp.Header.MsgType);
        Assert.Equal(ErrorCodes.PermissionDenied, resp.Body.Error.ErrCode);
        var paramErr = Assert.Single(resp.Body.Error.ParamErrs);
        // The object the test plan names, and the required parameter that failed in it (as 1.3 asks for it).
        Assert.Equal("Device.LocalAgent.Controller.2.BootParameter.Enable", paramErr.ParamPath);
        Assert.Equal(ErrorCodes.PermissionDenied, paramErr.ErrCode);
        Assert.Equal("1", _agent.Engine.GetValue("Device.LocalAgent.Controller.1.BootParameterNumberOfEntries"));
        Assert.Equal("0", _agent.Engine.GetValue("Device.LocalAgent.Controller.2.BootParameterNumberOfEntries"));
    }

    private void AllowSubscriptionsButNotEnable()
    {
        AddPermission("Device.LocalAgent.Subscription.", "rwxn", "rwxn", "rwxn", "rwxn", 1);
        AddPermission("Device.LocalAgent.Subscription.*.Enable", "r---", "rwxn", "rwxn", "rwxn", 2);
    }

    [Fact]
    public void Tp469_2_25_UnwritableParameterOmittedFromAddTakesItsDefault()
    {
        AllowSubscriptionsButNotEnable();

        var resp = _agent.Add(false, ("Device.LocalAgent.Subscription.",
            [("ID", "add1", false), ("NotifType", "ValueChange", false), ("ReferenceList", "Device.LocalAgent.SoftwareVersion", true)]));

        var created = Assert.Single(resp.Body.Response.AddResp.CreatedObjResults).OperStatus.OperSuccess.InstantiatedPath;
        Assert.Equal("false", _agent.Value(created + "Enable"));
    }

    [Fact]
    public void Tp469_2_26_UnwritableRequiredParameterInAddFailsTheObject()
    {
        AllowSubscriptionsButNotEnable();

        var resp = _agent.Add(true, ("Device.LocalAgent.Subscription.",
            [("ID", "add26", false), ("NotifType", "ValueChange", false), ("ReferenceList", "Device.LocalAgent.SoftwareVersion", true), ("Enable", "true", true)]));

        var result = Assert.Single(resp.Body.Response.AddResp.CreatedObjResults);
        Assert.Equal(ErrorCodes.PermissionDenied, result.OperStatus.OperFailure.ErrCode);
        var subs = Assert.Single(_agent.Get("Device.LocalAgent.Subscription.").ReqPathResults);
        Assert.DoesNotContain(subs.ResolvedPathResults, r => r.ResultParams.TryGetValue("ID", out var id) && id == "add26");
    }

    [Fact]
    public void Tp469_2_27_SecuredParameterNeedsASecuredRole()
    {
        AddPermission("Device.X_EXAMPLE_Secret.", "r---", "r---", "----", "----", 1);
        var encrypted = new SenderIdentity(TestAgent.ControllerId) { OverEncryptedMtp = true };
        string ReadKey() => Assert.Single(Assert.Single(_agent.Send(new Request { Get = new Get { ParamPaths = { "Device.X_EXAMPLE_Secret.Key" } } },
            Header.Types.MsgType.Get, TestAgent.ControllerId, encrypted).Body.Response.GetResp.ReqPathResults).ResolvedPathResults).ResultParams["Key"];

        Assert.Equal("", ReadKey());

        var set = _agent.Set(false, (Trust, [("SecuredRoles", "Device.LocalAgent.ControllerTrust.Role.2", true)]));
        Assert.Equal(Header.Types.MsgType.SetResp, set.Header.MsgType);

        Assert.Equal("s3cr3t", ReadKey());
        Assert.Equal("secret-holder", _agent.Value("Device.X_EXAMPLE_Secret.Label"));
        // Over an unencrypted MTP the SecuredRoles do not apply.
        Assert.Equal("", _agent.Value("Device.X_EXAMPLE_Secret.Key"));
    }

    [Fact]
    public void InheritedRoleFromTheCertificateIsRecordedAndGrantsItsPermissions()
    {
        var fromCertificate = new SenderIdentity(TestAgent.OtherControllerId) { InheritedRoles = ["Device.LocalAgent.ControllerTrust.Role.1", "Device.LocalAgent.ControllerTrust.Role.99"] };
        var resp = _agent.Send(new Request { Get = new Get { ParamPaths = { Trust + "Role.1.Name" } } }, Header.Types.MsgType.Get, TestAgent.OtherControllerId, fromCertificate);

        Assert.Equal("Admin", Assert.Single(Assert.Single(resp.Body.Response.GetResp.ReqPathResults).ResolvedPathResults).ResultParams["Name"]);
        Assert.Equal("Device.LocalAgent.ControllerTrust.Role.1", _agent.Engine.GetValue("Device.LocalAgent.Controller.2.InheritedRole"));
        Assert.Equal("", _agent.Engine.GetValue("Device.LocalAgent.Controller.2.AssignedRole"));
    }

    [Fact]
    public void UnknownControllerWithCertificateRolesUsesThemInsteadOfUntrusted()
    {
        var fromCertificate = new SenderIdentity(StrangerId) { InheritedRoles = ["Device.LocalAgent.ControllerTrust.Role.1"] };
        var resp = _agent.Send(new Request { Get = new Get { ParamPaths = { "Device.DeviceInfo.Manufacturer", Trust + "Role.1.Name" } } }, Header.Types.MsgType.Get, StrangerId, fromCertificate);

        var results = resp.Body.Response.GetResp.ReqPathResults;
        Assert.Equal(ErrorCodes.InvalidPath, results[0].ErrCode);
        Assert.Equal(0u, results[1].ErrCode);
    }

    [Fact]
    public void ControllerHoldingTheBannedRoleGetsNothing()
    {
        AddPermission("Device.DeviceInfo.", "r---", "r---", "r---", "r---", 1);
        Assert.Equal("Model-1", _agent.Value("Device.DeviceInfo.ModelName"));

        _agent.Set(false, (Trust, [("BannedRole", "Device.LocalAgent.ControllerTrust.Role.2", true)]));

        Assert.Equal(ErrorCodes.InvalidPath, PathError(_agent.Get("Device.DeviceInfo.ModelName")));
        Assert.Equal(ErrorCodes.InvalidPath, PathError(_agent.Get(Trust + "Role.1.Name")));
    }

    [Fact]
    public void DisablingAPermissionTakesEffectOnTheNextMessage()
    {
        var permission = AddPermission("Device.DeviceInfo.", "r---", "r---", "r---", "r---", 1);
        Assert.Equal("Model-1", _agent.Value("Device.DeviceInfo.ModelName"));

        _agent.Set(false, (permission, [("Enable", "false", true)]));

        Assert.Equal(ErrorCodes.InvalidPath, PathError(_agent.Get("Device.DeviceInfo.ModelName")));
    }

    [Fact]
    public void GetInstancesNeedsInstantiatedObjRead()
    {
        AddPermission("Device.LocalAgent.Controller.", "r---", "r---", "----", "----", 1);
        AddPermission("Device.LocalAgent.Controller.2.", "r---", "r---", "r---", "----", 2);

        var r = Assert.Single(_agent.GetInstances(true, "Device.LocalAgent.Controller.").ReqPathResults);

        Assert.Equal("Device.LocalAgent.Controller.2.", Assert.Single(r.CurrInsts).InstantiatedObjPath);
    }

    [Fact]
    public void GetSupportedDmReportsAccessReducedByPermissions()
    {
        AddPermission("Device.LocalAgent.Subscription.", "r---", "r---", "rw--", "----", 1);
        AddPermission("Device.LocalAgent.Controller.", "rw--", "rw--", "r---", "r---", 2);

        var resp = _agent.GetSupportedDm(new GetSupportedDM { ObjPaths = { "Device.LocalAgent.Subscription.", "Device.LocalAgent.Controller." }, ReturnParams = true, ReturnCommands = true, ReturnEvents = true });

        var sub = Assert.Single(resp.ReqObjResults[0].SupportedObjs, o => o.SupportedObjPath == "Device.LocalAgent.Subscription.{i}.");
        Assert.Equal(GetSupportedDMResp.Types.ObjAccessType.ObjDeleteOnly, sub.Access);
        Assert.All(sub.SupportedParams, p => Assert.Equal(GetSupportedDMResp.Types.ParamAccessType.ParamReadOnly, p.Access));
        Assert.Empty(sub.SupportedCommands);
        var controller = Assert.Single(resp.ReqObjResults[1].SupportedObjs, o => o.SupportedObjPath == "Device.LocalAgent.Controller.{i}.");
        Assert.Equal(GetSupportedDMResp.Types.ObjAccessType.ObjAddOnly, controller.Access);
        Assert.Equal(GetSupportedDMResp.Types.ParamAccessType.ParamReadWrite, Assert.Single(controller.SupportedParams, p => p.ParamName == "ProvisioningCode").Access);
        Assert.Contains(controller.SupportedCommands, c => c.CommandName == "SendOnBoardRequest()");
        Assert.Contains(controller.SupportedEvents, e => e.EventName == "Timer!");
        Assert.DoesNotContain(resp.ReqObjResults[1].SupportedObjs, o => o.SupportedObjPath.StartsWith(Trust, StringComparison.Ordinal));
    }
}

/// <summary>The factory files the agent must keep accepting, seen through controller trust.</summary>
public sealed class FactoryDefaultsTrustTests
{
    [Fact]
    public void ShippedFactoryDefaultsGiveAProvisionedControllerFullAccess()
    {
        var shipped = File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "factory-defaults.txt")) + """

            Device.LocalAgent.Controller.1.EndpointID "proto::controller-test"
            Device.LocalAgent.Controller.1.Enable "true"
            Device.LocalAgent.Controller.1.AssignedRole "Device.LocalAgent.ControllerTrust.Role.1"
            """;
        using var agent = new TestAgent(defaults: shipped);

        Assert.Equal(0u, Assert.Single(agent.Get("Device.").ReqPathResults).ErrCode);
        var add = agent.Add(false, ("Device.LocalAgent.Subscription.", []));
        Assert.Equal(Header.Types.MsgType.AddResp, add.Header.MsgType);
        Assert.True(agent.Engine.AccessPolicy.CanExecute(new RequestingController(TestAgent.ControllerId, agent.Engine.Store.Tree.Find("Device.LocalAgent.Controller.1.")), "Device.LocalAgent.Controller.1.SendOnBoardRequest()"));
    }

    [Fact]
    public void ObuspaFactoryFileWithoutRolesGetsTheBuiltInRolesAsRowsAndAddingRolesChangesNothingForItsController()
    {
        var obuspa = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "obuspa-factory-reset-coap.txt"));
        using var agent = new TestAgent(defaults: obuspa, endpointId: null);
        var agentId = agent.Engine.EndpointId;
        int next = 0;

        Msg Send(string from, Request request, Header.Types.MsgType type)
        {
            var msg = new Msg { Header = new Header { MsgId = $"m-{from}-{next++}", MsgType = type }, Body = new Body { Request = request } };
            var result = agent.Engine.HandleRecord(TestAgent.EncodeRecord(msg, from, agentId), new SenderIdentity(from));
            return Msg.Parser.ParseFrom(Record.Parser.ParseFrom(Assert.Single(result.ResponseBytes)).NoSessionContext.Payload);
        }
        Msg Add(string from, string table, params (string, string)[] settings)
        {
            var create = new Add.Types.CreateObject { ObjPath = table };
            create.ParamSettings.AddRange(settings.Select(s => new Add.Types.CreateParamSetting { Param = s.Item1, Value = s.Item2, Required = true }));
            return Send(from, new Request { Add = new Add { CreateObjs = { create } } }, Header.Types.MsgType.Add);
        }
        const string controller = "proto::controller-example";

        Assert.Equal("Full Access", agent.Engine.GetValue(Trust + "Role.1.Name"));
        Assert.Equal("Device.", agent.Engine.GetValue(Trust + "Role.1.Permission.1.Targets"));
        Assert.Equal("Untrusted", agent.Engine.GetValue(Trust + "Role.2.Name"));
        Assert.Equal("Device.LocalAgent.ControllerTrust.Role.2", agent.Engine.GetValue(Trust + "UntrustedRole"));

        var role = Add(controller, Trust + "Role.", ("Enable", "true"), ("Name", "Operator"));
        Assert.Equal(Trust + "Role.3.", Assert.Single(role.Body.Response.AddResp.CreatedObjResults).OperStatus.OperSuccess.InstantiatedPath);
        var permission = Add(controller, Trust + "Role.3.Permission.", ("Enable", "true"), ("Targets", "Device.DeviceInfo."), ("Param", "r---"));
        Assert.Equal(Header.Types.MsgType.AddResp, permission.Header.MsgType);

        // The Controller the file assigned Role.1 still has full access; a stranger (untrusted) has none.
        Assert.Equal(Header.Types.MsgType.AddResp, Add(controller, "Device.LocalAgent.Subscription.").Header.MsgType);
        var set = Send(controller, new Request { Set = new Set { UpdateObjs = { new Set.Types.UpdateObject { ObjPath = "Device.LocalAgent.Controller.1.",
            ParamSettings = { new Set.Types.UpdateParamSetting { Param = "PeriodicNotifInterval", Value = "3600", Required = true } } } } } }, Header.Types.MsgType.Set);
        Assert.Equal(Header.Types.MsgType.SetResp, set.Header.MsgType);
        var stranger = Send("proto::stranger", new Request { Get = new Get { ParamPaths = { "Device.LocalAgent.EndpointID" } } }, Header.Types.MsgType.Get);
        Assert.Equal(ErrorCodes.InvalidPath, Assert.Single(stranger.Body.Response.GetResp.ReqPathResults).ErrCode);
    }

    [Fact]
    public void ADatabaseMadeWithoutRoleRowsByAnEarlierVersionGetsTheBuiltInRolesOnceAtItsNextOpen()
    {
        var obuspa = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "obuspa-factory-reset-coap.txt"));
        var dir = TestAgent.NewDirectory();
        using (var agent = new TestAgent(dir, obuspa, endpointId: null))
        {
            // What an earlier version left: no Role rows, no UntrustedRole, and no record of the check.
            var store = agent.Engine.Store;
            var tx = store.Begin(null);
            foreach (var role in store.Tree.Find(Trust)!.Table("Role")!.Rows.ToList())
                tx.DeleteRow(role);
            tx.SetValue(store.Tree.Find(Trust)!, "UntrustedRole", "");
            tx.SetValue(store.Tree.Find("Device.LocalAgent.Controller.1.")!, "AssignedRole", "Device.LocalAgent.ControllerTrust.Role.1");
            Assert.True(store.Commit(tx, out var error), error);
            store.DeleteMeta(Defaults.BuiltInRoles.CheckedKey);
        }
        using (var agent = new TestAgent(dir, defaults: null, endpointId: null))
        {
            Assert.Equal("Full Access", agent.Engine.GetValue(Trust + "Role.1.Name"));
            Assert.Equal("Device.LocalAgent.ControllerTrust.Role.2", agent.Engine.GetValue(Trust + "UntrustedRole"));
            Assert.Equal("Device.LocalAgent.ControllerTrust.Role.1", agent.Engine.GetValue("Device.LocalAgent.Controller.1.AssignedRole"));
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void FactoryFileWithRolesGetsNoBuiltInRoles()
    {
        using var agent = new TestAgent(defaults: Tp469TrustTests.TrustDefaults);
        Assert.Equal("Admin", agent.Engine.GetValue(Trust + "Role.1.Name"));
        Assert.Equal("3", agent.Engine.GetValue(Trust + "RoleNumberOfEntries"));
    }

    private const string Trust = "Device.LocalAgent.ControllerTrust.";
}

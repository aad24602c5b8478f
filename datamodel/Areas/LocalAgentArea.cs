using System.Globalization;
using Usp.DataModel.Schema;

namespace Usp.DataModel.Areas;

/// <summary>
/// <c>Device.LocalAgent.</c>: the agent's identity, its MTPs, Controllers (with their MTPs and
/// BootParameters), Subscriptions, ControllerTrust (roles, permissions) and Certificates.
/// </summary>
public sealed class LocalAgentArea(AgentEnvironment env) : IDataModelArea
{
    public const string Path = "Device.LocalAgent.";
    public const string ControllerTable = "Device.LocalAgent.Controller.";

    private static readonly string[] Protocols = ["CoAP", "STOMP", "WebSocket", "MQTT", "UDS"];

    public void Register(SchemaBuilder builder)
    {
        builder.Object(Path)
            .Param("EndpointID", ParamType.String, maxLength: 64)
            .Computed("SoftwareVersion", ParamType.String, _ => env.SoftwareVersion)
            .Computed("UpTime", ParamType.UnsignedInt, _ => env.AgentUpTimeSeconds.ToString(CultureInfo.InvariantCulture), ValueChangeSupport.WillIgnore)
            .Computed("SupportedProtocols", ParamType.String, _ => "CoAP", list: true)
            .NumberOfEntries("MTP")
            .NumberOfEntries("Controller")
            .NumberOfEntries("Subscription")
            .NumberOfEntries("Certificate")
            .Command("AddCertificate()", inputs:
            [
                new ArgumentSchema("Alias", ParamType.String),
                new ArgumentSchema("Certificate", ParamType.String, Mandatory: true),
            ])
            .Event("Periodic!")
            .Event("TransferComplete!",
                new ArgumentSchema("Command", ParamType.String),
                new ArgumentSchema("CommandKey", ParamType.String),
                new ArgumentSchema("Requestor", ParamType.String),
                new ArgumentSchema("TransferType", ParamType.String),
                new ArgumentSchema("Affected", ParamType.String),
                new ArgumentSchema("TransferURL", ParamType.String),
                new ArgumentSchema("StartTime", ParamType.DateTime),
                new ArgumentSchema("CompleteTime", ParamType.DateTime),
                new ArgumentSchema("FaultCode", ParamType.UnsignedInt),
                new ArgumentSchema("FaultString", ParamType.String));

        RegisterAgentMtp(builder);
        RegisterController(builder);
        RegisterSubscription(builder);
        RegisterControllerTrust(builder);
        RegisterCertificate(builder);
    }

    private static void RegisterAgentMtp(SchemaBuilder builder)
    {
        builder.Object("Device.LocalAgent.MTP.{i}.").Writable().Alias()
            .Param("Enable", ParamType.Boolean, ParamAccess.ReadWrite, "false")
            .Param("Status", ParamType.String, defaultValue: "Down", enumeration: ["Up", "Down", "Error"])
            .Param("Protocol", ParamType.String, ParamAccess.ReadWrite, "CoAP", enumeration: Protocols);
        builder.Object("Device.LocalAgent.MTP.{i}.CoAP.")
            .Param("Interfaces", ParamType.String, ParamAccess.ReadWrite, list: true, reference: ReferenceKind.Weak)
            .Param("Port", ParamType.UnsignedInt, ParamAccess.ReadWrite, "5683", min: 1, max: 65535)
            .Param("Path", ParamType.String, ParamAccess.ReadWrite)
            .Param("EnableEncryption", ParamType.Boolean, ParamAccess.ReadWrite, "true");
    }

    private static void RegisterController(SchemaBuilder builder)
    {
        builder.Object("Device.LocalAgent.Controller.{i}.").Writable().Alias()
            .Key(true, "EndpointID")
            .Param("EndpointID", ParamType.String, ParamAccess.ReadWrite, "", maxLength: 64)
            .Param("ControllerCode", ParamType.String, ParamAccess.ReadWrite, "", maxLength: 128)
            .Param("ProvisioningCode", ParamType.String, ParamAccess.ReadWrite, "", maxLength: 64)
            .Param("Enable", ParamType.Boolean, ParamAccess.ReadWrite, "false")
            .Param("AssignedRole", ParamType.String, ParamAccess.ReadWrite, "", list: true, reference: ReferenceKind.Strong)
            .Param("InheritedRole", ParamType.String, ParamAccess.ReadOnly, "", list: true, reference: ReferenceKind.Strong)
            .Param("PeriodicNotifInterval", ParamType.UnsignedInt, ParamAccess.ReadWrite, "86400", min: 1)
            .Param("PeriodicNotifTime", ParamType.DateTime, ParamAccess.ReadWrite, "0001-01-01T00:00:00Z")
            .Param("USPNotifRetryMinimumWaitInterval", ParamType.UnsignedInt, ParamAccess.ReadWrite, "5", min: 1, max: 65535)
            .Param("USPNotifRetryIntervalMultiplier", ParamType.UnsignedInt, ParamAccess.ReadWrite, "2000", min: 1000, max: 65535)
            .NumberOfEntries("MTP")
            .NumberOfEntries("BootParameter")
            .Command("ScheduleTimer()", isAsync: true, inputs: [new ArgumentSchema("DelaySeconds", ParamType.UnsignedInt, Mandatory: true)])
            .Command("SendOnBoardRequest()")
            .Event("Timer!");
        builder.Object("Device.LocalAgent.Controller.{i}.MTP.{i}.").Writable().Alias()
            .Key(true, "Protocol")
            .Param("Enable", ParamType.Boolean, ParamAccess.ReadWrite, "false")
            .Param("Protocol", ParamType.String, ParamAccess.ReadWrite, "CoAP", enumeration: Protocols);
        builder.Object("Device.LocalAgent.Controller.{i}.MTP.{i}.CoAP.")
            .Param("Host", ParamType.String, ParamAccess.ReadWrite, "", maxLength: 256)
            .Param("Port", ParamType.UnsignedInt, ParamAccess.ReadWrite, "5683", min: 1, max: 65535)
            .Param("Path", ParamType.String, ParamAccess.ReadWrite, "")
            .Param("EnableEncryption", ParamType.Boolean, ParamAccess.ReadWrite, "true");
        builder.Object("Device.LocalAgent.Controller.{i}.BootParameter.{i}.").Writable().Alias()
            .Key(true, "ParameterName")
            .Param("Enable", ParamType.Boolean, ParamAccess.ReadWrite, "false")
            .Param("ParameterName", ParamType.String, ParamAccess.ReadWrite, "", maxLength: 256);
    }

    private static void RegisterSubscription(SchemaBuilder builder)
    {
        builder.Object("Device.LocalAgent.Subscription.{i}.").Writable().Alias()
            .Key(false, "Recipient", "ID")
            .Param("Enable", ParamType.Boolean, ParamAccess.ReadWrite, "false")
            .Param("Recipient", ParamType.String, ParamAccess.ReadOnly, "", reference: ReferenceKind.Strong)
            .Param("ID", ParamType.String, ParamAccess.ReadWrite, "", maxLength: 64)
            .Param("CreationDate", ParamType.DateTime, ParamAccess.ReadOnly)
            .Param("NotifType", ParamType.String, ParamAccess.ReadWrite, "",
                enumeration: ["ValueChange", "ObjectCreation", "ObjectDeletion", "OperationComplete", "Event", "OnBoardRequest"])
            .Param("ReferenceList", ParamType.String, ParamAccess.ReadWrite, "", list: true)
            .Param("Persistent", ParamType.Boolean, ParamAccess.ReadWrite, "false")
            .Param("TimeToLive", ParamType.UnsignedInt, ParamAccess.ReadWrite, "0")
            .Param("NotifRetry", ParamType.Boolean, ParamAccess.ReadWrite, "false")
            .Param("NotifExpiration", ParamType.UnsignedInt, ParamAccess.ReadWrite, "0")
            .Param("TriggerAction", ParamType.String, ParamAccess.ReadWrite, "Notify",
                enumeration: ["Notify", "Config", "NotifyAndConfig"])
            .OnCreate(ctx =>
            {
                // The Controller that creates a Subscription is its Recipient (a strong reference).
                if (ctx.Controller is { } controller)
                    ctx.Set("Recipient", controller.Path.TrimEnd('.'));
                ctx.Set("CreationDate", ctx.Now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            });
    }

    private static void RegisterControllerTrust(SchemaBuilder builder)
    {
        builder.Object("Device.LocalAgent.ControllerTrust.")
            .Param("UntrustedRole", ParamType.String, ParamAccess.ReadWrite, "", list: true, reference: ReferenceKind.Strong)
            .Param("BannedRole", ParamType.String, ParamAccess.ReadWrite, "", reference: ReferenceKind.Strong)
            .Param("SecuredRoles", ParamType.String, ParamAccess.ReadWrite, "", list: true, reference: ReferenceKind.Strong)
            .Param("TOFUAllowed", ParamType.Boolean, ParamAccess.ReadWrite, "false")
            .Param("TOFUInactivityTimer", ParamType.UnsignedInt, ParamAccess.ReadWrite, "0")
            .NumberOfEntries("Role")
            .NumberOfEntries("Credential");
        // A trusted CA (or Controller) certificate and the Roles a Controller validated by it inherits (TR-369
        // "Assigning Controller Roles"); the MTP applies it to Records that came over DTLS.
        builder.Object("Device.LocalAgent.ControllerTrust.Credential.{i}.").Writable().Alias()
            .Key(true, "Credential")
            .Param("Enable", ParamType.Boolean, ParamAccess.ReadWrite, "false")
            .Param("Role", ParamType.String, ParamAccess.ReadWrite, "", list: true, reference: ReferenceKind.Strong)
            .Param("Credential", ParamType.String, ParamAccess.ReadWrite, "", reference: ReferenceKind.Strong)
            .Param("AllowedUses", ParamType.String, ParamAccess.ReadWrite, "MTP-only", enumeration: ["MTP-only", "MTP-and-USP", "MTP-and-broker"]);
        builder.Object("Device.LocalAgent.ControllerTrust.Role.{i}.").Writable().Alias()
            .Key(true, "Name")
            .Param("Enable", ParamType.Boolean, ParamAccess.ReadWrite, "false")
            .Param("Name", ParamType.String, ParamAccess.ReadWrite, "", maxLength: 64)
            .NumberOfEntries("Permission");
        builder.Object("Device.LocalAgent.ControllerTrust.Role.{i}.Permission.{i}.").Writable().Alias()
            .Key(true, "Order")
            .Param("Enable", ParamType.Boolean, ParamAccess.ReadWrite, "false")
            .Param("Order", ParamType.UnsignedInt, ParamAccess.ReadWrite, "0")
            .Param("Targets", ParamType.String, ParamAccess.ReadWrite, "", list: true)
            .Param("Param", ParamType.String, ParamAccess.ReadWrite, "----", minLength: 4, maxLength: 4)
            .Param("Obj", ParamType.String, ParamAccess.ReadWrite, "----", minLength: 4, maxLength: 4)
            .Param("InstantiatedObj", ParamType.String, ParamAccess.ReadWrite, "----", minLength: 4, maxLength: 4)
            .Param("CommandEvent", ParamType.String, ParamAccess.ReadWrite, "----", minLength: 4, maxLength: 4);
    }

    private static void RegisterCertificate(SchemaBuilder builder)
    {
        builder.Object("Device.LocalAgent.Certificate.{i}.").Alias()
            .Key(true, "SerialNumber", "Issuer")
            .Param("Enable", ParamType.Boolean, ParamAccess.ReadWrite, "false")
            .Param("SerialNumber", ParamType.String, maxLength: 64)
            .Param("Issuer", ParamType.String, maxLength: 256);
    }
}

using Usp.DataModel.Schema;

namespace Usp.DataModel.Operations;

/// <summary>
/// The commands the agent itself implements and what they need in the data model: the Request
/// table, Device.ScheduleTimer(), Device.SelfTestDiagnostics(), Certificate details and Delete(),
/// the Controller's onboarding parameters and the Subscription's TriggerConfigSettings.
/// </summary>
internal sealed class OperateArea(AgentCommandServices services) : IDataModelArea
{
    public void Register(SchemaBuilder builder)
    {
        var device = new DeviceCommands(services);
        builder.Object("Device.")
            .Command("ScheduleTimer()", isAsync: true, inputs: [new ArgumentSchema("DelaySeconds", ParamType.UnsignedInt, Mandatory: true)])
            .Command("SelfTestDiagnostics()", isAsync: true, outputs:
            [
                new ArgumentSchema("Status", ParamType.String),
                new ArgumentSchema("Results", ParamType.String),
            ])
            .Handle("Reboot()", device.Reboot)
            .Handle("FactoryReset()", device.FactoryReset)
            .Handle("ScheduleTimer()", device.ScheduleTimer)
            .Handle("SelfTestDiagnostics()", device.SelfTest);

        builder.Object("Device.LocalAgent.")
            .NumberOfEntries("Request")
            .Handle("AddCertificate()", CertificateCommands.Add);
        builder.Object("Device.LocalAgent.Request.{i}.").Alias()
            .Param("Originator", ParamType.String)
            .Param("Command", ParamType.String)
            .Param("CommandKey", ParamType.String)
            .Param("Status", ParamType.String, defaultValue: "Requested",
                enumeration: ["Requested", "Active", "Canceling", "Canceled", "Success", "Error"])
            .Command("Cancel()")
            .Handle("Cancel()", ctx => RequestCommands.Cancel(ctx, services.Runner));

        builder.Object("Device.LocalAgent.Certificate.{i}.")
            .Param("LastModif", ParamType.DateTime)
            .Param("Subject", ParamType.String, maxLength: 256)
            .Param("NotBefore", ParamType.DateTime)
            .Param("NotAfter", ParamType.DateTime)
            .Param("SignatureAlgorithm", ParamType.String, maxLength: 256)
            .Param(CertificateCommands.DerParam, ParamType.Base64)
            .Command("Delete()")
            .Handle("Delete()", CertificateCommands.Delete);

        var controller = new ControllerCommands(services);
        builder.Object("Device.LocalAgent.Controller.{i}.")
            .Param("OnBoardingComplete", ParamType.Boolean, ParamAccess.ReadWrite, "false")
            .Param("OnBoardingRestartTime", ParamType.UnsignedInt, ParamAccess.ReadWrite, "0")
            .Handle("SendOnBoardRequest()", controller.SendOnBoardRequest)
            .Handle("ScheduleTimer()", controller.ScheduleTimer);

        builder.Object("Device.LocalAgent.Subscription.{i}.")
            .Param("TriggerConfigSettings", ParamType.String, ParamAccess.ReadWrite, "", list: true);
    }
}

using Usp.DataModel.Records;
using Usp.DataModel.Schema;

namespace Usp.DataModel.Areas;

/// <summary>
/// <c>Device.LocalAgent.Controller.{i}.E2ESession.</c>: how USP session contexts (TR-369 "Exchange of
/// USP Records within an E2E Session Context") are used with each Controller.
/// </summary>
public sealed class E2ESessionArea : IDataModelArea
{
    public const string Name = "E2ESession";

    private readonly SessionTable _sessions;

    internal E2ESessionArea(SessionTable sessions) => _sessions = sessions;

    public void Register(SchemaBuilder builder)
    {
        builder.Object(LocalAgentArea.ControllerTable + "{i}." + Name + ".")
            .Param("SessionMode", ParamType.String, ParamAccess.ReadWrite, "Allow", enumeration: ["Require", "Allow", "Forbid"])
            .Computed("Status", ParamType.String,
                ctx => _sessions.IsUp(ctx.Instance.Parent?.GetValue("EndpointID") ?? "") ? "Up" : "Down")
            .Param("PayloadSecurity", ParamType.String, ParamAccess.ReadWrite, "Plaintext", enumeration: ["Plaintext", "TLS12"])
            .Param("SessionExpiration", ParamType.UnsignedInt, ParamAccess.ReadWrite, "3600")
            .Param("MaxRetransmitTries", ParamType.Int, ParamAccess.ReadWrite, "3", min: -1, max: 10)
            .Param("MaxUSPRecordSize", ParamType.UnsignedInt, ParamAccess.ReadWrite, "0")
            .Param("SessionRetryMinimumWaitInterval", ParamType.UnsignedInt, ParamAccess.ReadWrite, "5", min: 1, max: 65535)
            .Param("SessionRetryIntervalMultiplier", ParamType.UnsignedInt, ParamAccess.ReadWrite, "2000", min: 1000, max: 65535);
    }
}

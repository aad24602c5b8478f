using Usp.DataModel.Schema;

namespace Usp.DataModel.Areas;

/// <summary><c>Device.</c> itself: RootDataModelVersion, Reboot(), FactoryReset() and Boot!.</summary>
public sealed class RootArea : IDataModelArea
{
    public const string DataModelVersion = "2.18";

    public void Register(SchemaBuilder builder)
    {
        builder.Object("Device.")
            .Computed("RootDataModelVersion", ParamType.String, _ => DataModelVersion)
            .Command("Reboot()")
            .Command("FactoryReset()")
            .Event("Boot!",
                new ArgumentSchema("CommandKey", ParamType.String),
                new ArgumentSchema("Cause", ParamType.String),
                new ArgumentSchema("FirmwareUpdated", ParamType.Boolean),
                new ArgumentSchema("ParameterMap", ParamType.String));
    }
}

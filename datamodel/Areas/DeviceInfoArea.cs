using System.Globalization;
using Usp.DataModel.Schema;

namespace Usp.DataModel.Areas;

/// <summary><c>Device.DeviceInfo.</c>: identity (from factory defaults), uptime, memory and CPU.</summary>
public sealed class DeviceInfoArea(AgentEnvironment env) : IDataModelArea
{
    public const string Path = "Device.DeviceInfo.";

    public void Register(SchemaBuilder builder)
    {
        builder.Object(Path)
            .Param("Manufacturer", ParamType.String, maxLength: 64)
            .Param("ManufacturerOUI", ParamType.String, minLength: 6, maxLength: 6, patterns: [ValuePattern.Oui])
            .Param("ModelName", ParamType.String, maxLength: 64)
            .Param("Description", ParamType.String, maxLength: 256)
            .Param("ProductClass", ParamType.String, maxLength: 64)
            .Param("SerialNumber", ParamType.String, maxLength: 64)
            .Param("HardwareVersion", ParamType.String, maxLength: 64)
            .Computed("SoftwareVersion", ParamType.String, _ => env.SoftwareVersion)
            .Computed("UpTime", ParamType.UnsignedInt, _ => Text(env.System.UpTimeSeconds), ValueChangeSupport.WillIgnore)
            .Param("FriendlyName", ParamType.String, ParamAccess.ReadWrite, maxLength: 64);
        builder.Object("Device.DeviceInfo.MemoryStatus.")
            .Computed("Total", ParamType.UnsignedInt, _ => Text(env.System.MemoryTotalKiB))
            .Computed("Free", ParamType.UnsignedInt, _ => Text(env.System.MemoryFreeKiB), ValueChangeSupport.WillIgnore);
        builder.Object("Device.DeviceInfo.ProcessStatus.")
            .Computed("CPUUsage", ParamType.UnsignedInt, _ => Text(env.System.CpuUsagePercent), ValueChangeSupport.WillIgnore);
    }

    private static string Text(long n) => n.ToString(CultureInfo.InvariantCulture);
}

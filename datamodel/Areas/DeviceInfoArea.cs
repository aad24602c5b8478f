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
            .Computed("CPUUsage", ParamType.UnsignedInt, _ => Text(env.System.CpuUsagePercent), ValueChangeSupport.WillIgnore)
            .NumberOfEntries("Process");
        // A computed table: one row per process, sampled from /proc when a message reads it (never stored). Its values
        // are not polled for ValueChange: TR-181 lets the agent deny Size, CPUTime and State, PID and Command never
        // change within a row, and Priority is only known when the table is next read.
        builder.Object("Device.DeviceInfo.ProcessStatus.Process.{i}.").ComputedRows(env.Processes).Key(true, "PID")
            .Computed("PID", ParamType.UnsignedInt, c => Text(Process(c)?.Pid ?? 0), ValueChangeSupport.WillIgnore)
            .Computed("Command", ParamType.String, c => Process(c)?.Command ?? "", ValueChangeSupport.WillIgnore)
            .Computed("Size", ParamType.UnsignedInt, c => Text(Process(c)?.SizeKiB ?? 0), ValueChangeSupport.WillIgnore)
            .Computed("Priority", ParamType.UnsignedInt, c => Text(Process(c)?.Priority ?? 0), ValueChangeSupport.WillIgnore)
            .Computed("CPUTime", ParamType.UnsignedInt, c => Text(Process(c)?.CpuTimeMs ?? 0), ValueChangeSupport.WillIgnore)
            .Computed("State", ParamType.String, c => Process(c)?.State ?? "", ValueChangeSupport.WillIgnore);
    }

    private static ProcessSample? Process(ParamReadContext context) => ProcProcessTable.DataOf(context);

    private static string Text(long n) => n.ToString(CultureInfo.InvariantCulture);
}

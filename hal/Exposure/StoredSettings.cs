using System.Globalization;
using Usp.DataModel.Store;

namespace Usp.Hal.Exposure;

/// <summary>
/// The writable values of the HAL's rows, parsed once where they are stored or committed: a row read at bind time,
/// or one changed parameter. Runs under the engine lock, so it only updates the bindings' fields.
/// </summary>
internal static class StoredSettings
{
    public static void ApplyCapability(CapabilityBinding binding, DmObject row)
    {
        switch (binding)
        {
            case BinaryControlBinding control:
                control.Requested(row.Child("BinaryControl")?.GetValue("Value") == "true");
                break;
            case LevelSensorBinding level when row.Child("LevelSensor") is { } sensor:
                level.SetThresholds(StoredDecimal(sensor, "LowLevelThreshold"), StoredDecimal(sensor, "HighLevelThreshold"));
                break;
        }
    }

    public static void ApplyTemperature(TemperatureBinding binding, DmObject row)
    {
        binding.SetEnabled(row.GetValue("Enable") != "false");
        binding.SetAlarms(Int(row.GetValue("LowAlarmValue")), Int(row.GetValue("HighAlarmValue")));
        if (int.TryParse(row.GetValue("PollingInterval"), NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) && seconds > 0)
            binding.Monitor.Interval = TimeSpan.FromSeconds(seconds);
    }

    private static double? StoredDecimal(DmObject obj, string name) =>
        obj.HasStoredValue(name) && double.TryParse(obj.GetValue(name), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : null;

    private static int Int(string? text) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v : TemperatureBinding.NotSet;
}

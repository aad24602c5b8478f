using System.Collections.Frozen;
using System.Globalization;
using Usp.DataModel.Schema;
using Usp.DataModel.Store;

namespace Usp.Hal.Exposure;

/// <summary>
/// The HAL's devices in the data model: <c>Device.IoTCapability.{i}.</c> (tr-181-2-iot) and
/// <c>Device.DeviceInfo.TemperatureStatus.TemperatureSensor.{i}.</c> (tr-181-2-deviceinfo). Every row is the
/// agent's, one per binding, found again by its Alias at each start. Live values come from the bindings' caches;
/// the writable ones (BinaryControl.Value, thresholds, alarm values, Enable, PollingInterval) are stored and reach
/// the devices through <see cref="HalChangeRouter"/>.
/// </summary>
/// <remarks>
/// TR-181 makes each capability sub-object optional (0..1) with only the one named by Class present; this engine's
/// objects are all-or-nothing, so every row has each sub-object and the ones its Class does not name read as
/// their types' zero values.
/// </remarks>
public sealed class HalDataModelArea(IReadOnlyList<CapabilityBinding> capabilities, IReadOnlyList<TemperatureBinding> temperatures) : IDataModelArea, IAgentRowSource
{
    public const string CapabilityTable = "Device.IoTCapability.";
    public const string TemperatureTable = "Device.DeviceInfo.TemperatureStatus.TemperatureSensor.";

    private static readonly string[] BinaryControlTypes = ["Switch", "Locked"];
    private static readonly string[] BinarySensorTypes = ["CarbonDioxideDetected", "CarbonMonoxideDetected", "DoorOpen", "MotionDetected", "SmokeDetected", "WindowOpen", "WaterDetected"];

    private FrozenDictionary<string, CapabilityBinding> _byRow = FrozenDictionary<string, CapabilityBinding>.Empty;
    private FrozenDictionary<string, TemperatureBinding> _temperatureByRow = FrozenDictionary<string, TemperatureBinding>.Empty;

    public IReadOnlyList<CapabilityBinding> Capabilities { get; } = capabilities;
    public IReadOnlyList<TemperatureBinding> Temperatures { get; } = temperatures;

    /// <summary>Raised under the engine lock when rows are (re)bound, with the stored values to apply.</summary>
    internal event Action<HalDataModelArea>? Bound;

    public IReadOnlyList<AgentRowSet> AgentRows =>
    [
        new(CapabilityTable, [.. Capabilities.Select(c => new AgentRow(c.Alias, CapabilityInitialValues(c)))]),
        new(TemperatureTable, [.. Temperatures.Select(t => new AgentRow(t.Alias, TemperatureInitialValues(t)))]),
    ];

    private static Dictionary<string, string> CapabilityInitialValues(CapabilityBinding c)
    {
        var values = new Dictionary<string, string> { ["Name"] = c.Name };
        if (c is BinaryControlBinding control)
            values["BinaryControl.Value"] = TimeText.Bool(control.InitialValue);
        return values;
    }

    private static Dictionary<string, string> TemperatureInitialValues(TemperatureBinding t) => new()
    {
        ["Enable"] = "true",
        ["LowAlarmValue"] = (t.InitialLowAlarm ?? TemperatureBinding.NotSet).ToString(CultureInfo.InvariantCulture),
        ["HighAlarmValue"] = (t.InitialHighAlarm ?? TemperatureBinding.NotSet).ToString(CultureInfo.InvariantCulture),
        ["PollingInterval"] = Math.Max(1, (int)Math.Ceiling(t.Monitor.Interval.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
    };

    public void RowsBound(AgentRowSet set, IReadOnlyList<DmObject> rows)
    {
        if (set.TablePath == CapabilityTable)
        {
            for (int i = 0; i < rows.Count; i++)
                Capabilities[i].RowPath = rows[i].Path;
            _byRow = Capabilities.ToFrozenDictionary(c => c.RowPath!, StringComparer.Ordinal);
            foreach (var (binding, row) in Capabilities.Zip(rows))
                StoredSettings.ApplyCapability(binding, row);
        }
        else
        {
            for (int i = 0; i < rows.Count; i++)
                Temperatures[i].RowPath = rows[i].Path;
            _temperatureByRow = Temperatures.ToFrozenDictionary(t => t.RowPath!, StringComparer.Ordinal);
            foreach (var (binding, row) in Temperatures.Zip(rows))
                StoredSettings.ApplyTemperature(binding, row);
        }
        Bound?.Invoke(this);
    }

    internal CapabilityBinding? CapabilityAt(string rowPath) => _byRow.GetValueOrDefault(rowPath);
    internal TemperatureBinding? TemperatureAt(string rowPath) => _temperatureByRow.GetValueOrDefault(rowPath);

    public void Register(SchemaBuilder builder)
    {
        builder.Object("Device.").NumberOfEntries("IoTCapability");
        builder.Object("Device.IoTCapability.{i}.").Entries(0, null).Alias().Key(true, "Name")
            .Param("Name", ParamType.String, ParamAccess.ReadWrite, maxLength: 64)
            .Computed("Class", ParamType.String, c => Row(c)?.Class ?? "");

        builder.Object("Device.IoTCapability.{i}.BinaryControl.")
            .Computed("Type", ParamType.String, c => Sub<BinaryControlBinding>(c)?.Type ?? "")
            .Computed("Description", ParamType.String, c => Sub<BinaryControlBinding>(c)?.Description ?? "")
            .Param("Value", ParamType.Boolean, ParamAccess.ReadWrite, defaultValue: "false");

        builder.Object("Device.IoTCapability.{i}.BinarySensor.")
            .Computed("Type", ParamType.String, c => Sub<BinarySensorBinding>(c)?.Type ?? "")
            .Computed("Description", ParamType.String, c => Sub<BinarySensorBinding>(c)?.Description ?? "")
            .Computed("Value", ParamType.Boolean, c => TimeText.Bool(Sub<BinarySensorBinding>(c)?.State.Value ?? false)).SignalsValueChange("Value")
            .Computed("LastChange", ParamType.DateTime, c => TimeText.Of(Sub<BinarySensorBinding>(c)?.State.LastChange)).SignalsValueChange("LastChange")
            .Computed("LastContactTime", ParamType.DateTime, c => TimeText.Of(Sub<BinarySensorBinding>(c)?.State.LastContact)).SignalsValueChange("LastContactTime")
            .Param("Sensitivity", ParamType.UnsignedInt, ParamAccess.ReadWrite, defaultValue: "100", max: 100)
            .Param("HoldTime", ParamType.UnsignedInt, ParamAccess.ReadWrite, defaultValue: "0")
            .Param("RestTime", ParamType.UnsignedInt, ParamAccess.ReadWrite, defaultValue: "0");

        builder.Object("Device.IoTCapability.{i}.LevelSensor.")
            .Computed("Type", ParamType.String, c => Sub<LevelSensorBinding>(c)?.Type ?? "")
            .Computed("Description", ParamType.String, c => Sub<LevelSensorBinding>(c)?.Description ?? "")
            .Computed("Value", ParamType.Decimal, c => Sub<LevelSensorBinding>(c) is { Value: { } v } s ? TimeText.Decimal(v, s.Channel.Decimals) : "0").SignalsValueChange("Value")
            .Computed("LastChange", ParamType.DateTime, c => TimeText.Of(Sub<LevelSensorBinding>(c)?.Monitor.Current.LastChange)).SignalsValueChange("LastChange")
            .Computed("LastContactTime", ParamType.DateTime, c => TimeText.Of(Sub<LevelSensorBinding>(c)?.Monitor.Current.LastContact)).SignalsValueChange("LastContactTime")
            .Computed("Unit", ParamType.String, c => Sub<LevelSensorBinding>(c)?.Channel.Unit ?? "")
            .Computed("LowLevel", ParamType.Boolean, c => TimeText.Bool(Sub<LevelSensorBinding>(c)?.LowLevel ?? false)).SignalsValueChange("LowLevel")
            .Param("LowLevelThreshold", ParamType.Decimal, ParamAccess.ReadWrite)
            .Computed("HighLevel", ParamType.Boolean, c => TimeText.Bool(Sub<LevelSensorBinding>(c)?.HighLevel ?? false)).SignalsValueChange("HighLevel")
            .Param("HighLevelThreshold", ParamType.Decimal, ParamAccess.ReadWrite);

        builder.Object("Device.DeviceInfo.TemperatureStatus.").NumberOfEntries("TemperatureSensor");
        builder.Object("Device.DeviceInfo.TemperatureStatus.TemperatureSensor.{i}.").Entries(0, null).Alias().Key(true, "Name")
            .Param("Enable", ParamType.Boolean, ParamAccess.ReadWrite, defaultValue: "true")
            .Computed("Status", ParamType.String, c => Temp(c)?.Status ?? "Disabled").SignalsValueChange("Status")
            .Computed("ResetTime", ParamType.DateTime, c => TimeText.Of(Temp(c)?.ResetTime)).SignalsValueChange("ResetTime")
            .Computed("Name", ParamType.String, c => Temp(c)?.Name ?? "")
            .Computed("Value", ParamType.Int, c => Text(Temp(c)?.Value)).SignalsValueChange("Value")
            .Computed("LastUpdate", ParamType.DateTime, c => TimeText.Of(Temp(c)?.Monitor.Current.LastContact)).SignalsValueChange("LastUpdate")
            .Computed("MinValue", ParamType.Int, c => Text(Temp(c)?.MinValue)).SignalsValueChange("MinValue")
            .Computed("MinTime", ParamType.DateTime, c => TimeText.Of(Temp(c)?.MinTime)).SignalsValueChange("MinTime")
            .Computed("MaxValue", ParamType.Int, c => Text(Temp(c)?.MaxValue)).SignalsValueChange("MaxValue")
            .Computed("MaxTime", ParamType.DateTime, c => TimeText.Of(Temp(c)?.MaxTime)).SignalsValueChange("MaxTime")
            .Param("LowAlarmValue", ParamType.Int, ParamAccess.ReadWrite, defaultValue: "-274", min: -274)
            .Computed("LowAlarmTime", ParamType.DateTime, c => TimeText.Of(Temp(c)?.LowAlarmTime)).SignalsValueChange("LowAlarmTime")
            .Param("HighAlarmValue", ParamType.Int, ParamAccess.ReadWrite, defaultValue: "-274", min: -274)
            .Computed("HighAlarmTime", ParamType.DateTime, c => TimeText.Of(Temp(c)?.HighAlarmTime)).SignalsValueChange("HighAlarmTime")
            .Param("PollingInterval", ParamType.UnsignedInt, ParamAccess.ReadWrite, defaultValue: "2", min: 1, max: 86400);
    }

    private CapabilityBinding? Row(ParamReadContext c) => _byRow.GetValueOrDefault(c.Instance.Path);

    private T? Sub<T>(ParamReadContext c) where T : CapabilityBinding =>
        c.Instance.Parent is { } row ? _byRow.GetValueOrDefault(row.Path) as T : null;

    private TemperatureBinding? Temp(ParamReadContext c) => _temperatureByRow.GetValueOrDefault(c.Instance.Path);

    private static string Text(int? value) => (value ?? TemperatureBinding.NotSet).ToString(CultureInfo.InvariantCulture);

    /// <summary>The TR-181 Type enumeration a configured CapabilityType must come from (or a vendor X_ extension).</summary>
    public static IReadOnlyList<string> TypesFor(string capabilityClass) => capabilityClass switch
    {
        "BinaryControl" => BinaryControlTypes,
        "BinarySensor" => BinarySensorTypes,
        _ => [],
    };
}

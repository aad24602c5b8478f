using Usp.Hal.Devices;
using Usp.Hal.Sampling;

namespace Usp.Hal.Exposure;

/// <summary>
/// One <c>Device.IoTCapability.{i}.</c> row and the device behind it. Getters read cached state only (they run under
/// the engine lock); the device side calls <see cref="Report"/> with the parameters that changed.
/// </summary>
public abstract class CapabilityBinding(string name, string type, string description)
{
    public string Name { get; } = name;
    public string Alias => "cpe-" + Name;
    /// <summary>The TR-181 Class, which is also the name of the sub-object that carries the values.</summary>
    public abstract string Class { get; }
    public string Type { get; } = type;
    public string Description { get; } = description;

    /// <summary>The row's instance path (<c>Device.IoTCapability.3.</c>) once the engine has bound it.</summary>
    public string? RowPath { get; internal set; }

    internal IValueChangeSink? Sink { get; set; }

    /// <summary>Reports <c>RowPath + Class + "." + name</c> for each name.</summary>
    protected void Report(params ReadOnlySpan<string> names)
    {
        if (RowPath is not { } row || Sink is not { } sink)
            return;
        foreach (string name in names)
            sink.ReportValueChanged($"{row}{Class}.{name}");
    }
}

/// <summary>BinaryControl: a Set of Value drives the output line.</summary>
public sealed class BinaryControlBinding(string name, string type, string description, bool initialValue)
    : CapabilityBinding(name, type, description)
{
    public override string Class => "BinaryControl";
    /// <summary>The output line once opened; null while it is not available.</summary>
    public GpioOutputDevice? Device { get; internal set; }
    public bool InitialValue { get; } = initialValue;

    /// <summary>The value the data model holds (stored at start, or just Set); the line follows it.</summary>
    public bool RequestedValue { get; private set; } = initialValue;

    /// <summary>Raised under the engine lock when the data model's value is set: the line is driven off that lock.</summary>
    internal event Action<BinaryControlBinding, bool>? ValueRequested;

    internal void Requested(bool value)
    {
        RequestedValue = value;
        ValueRequested?.Invoke(this, value);
    }
}

/// <summary>BinarySensor: the input line's level, reported at each edge.</summary>
public sealed class BinarySensorBinding(string name, string type, string description, TimeProvider time)
    : CapabilityBinding(name, type, description)
{
    private (bool Value, DateTimeOffset? LastChange, DateTimeOffset? LastContact) _state;
    private readonly Lock _gate = new();

    public override string Class => "BinarySensor";

    public (bool Value, DateTimeOffset? LastChange, DateTimeOffset? LastContact) State
    {
        get
        {
            lock (_gate)
                return _state;
        }
    }

    /// <summary>The line was opened and read (its level at start).</summary>
    public void Opened(bool value)
    {
        lock (_gate)
            _state = (value, _state.LastChange, time.GetUtcNow());
        Report("Value", "LastContactTime");
    }

    /// <summary>An edge: the new level, reported at once.</summary>
    public void Changed(bool value)
    {
        var now = time.GetUtcNow();
        lock (_gate)
            _state = (value, now, now);
        Report("Value", "LastChange", "LastContactTime");
    }
}

/// <summary>LevelSensor: one channel of a polled sensor, with the TR-181 low/high level flags.</summary>
public sealed class LevelSensorBinding(string name, string description, SensorMonitor monitor, int channel)
    : CapabilityBinding(name, monitor.Channels[channel].LevelType, description)
{
    private sealed record Thresholds(double? Low, double? High);
    private Thresholds _thresholds = new(null, null);

    public override string Class => "LevelSensor";
    public SensorMonitor Monitor { get; } = monitor;
    public SensorChannel Channel => Monitor.Channels[ChannelIndex];
    public int ChannelIndex { get; } = channel;

    public double? Value => Monitor.Current.Values is { } v ? v[ChannelIndex] : null;

    /// <summary>LowLevelThreshold / HighLevelThreshold as stored in the data model (null: not set).</summary>
    public void SetThresholds(double? low, double? high)
    {
        bool lowBefore = LowLevel, highBefore = HighLevel;
        Volatile.Write(ref _thresholds, new Thresholds(low, high));
        ReportLevels(lowBefore, highBefore);
    }

    public double? LowThreshold => Volatile.Read(ref _thresholds).Low;
    public double? HighThreshold => Volatile.Read(ref _thresholds).High;

    public bool LowLevel => Value is { } v && Volatile.Read(ref _thresholds).Low is { } t && v < t;
    public bool HighLevel => Value is { } v && Volatile.Read(ref _thresholds).High is { } t && v > t;

    internal void OnUpdated(SensorSnapshot previous, SensorSnapshot current)
    {
        double? before = previous.Values?[ChannelIndex];
        double? after = current.Values?[ChannelIndex];
        bool lowBefore = before is { } b1 && Volatile.Read(ref _thresholds).Low is { } l && b1 < l;
        bool highBefore = before is { } b2 && Volatile.Read(ref _thresholds).High is { } h && b2 > h;
        if (before != after)
            Report("Value", "LastChange");
        ReportLevels(lowBefore, highBefore);
        if (previous.LastContact != current.LastContact)
            Report("LastContactTime");
    }

    private void ReportLevels(bool lowBefore, bool highBefore)
    {
        if (LowLevel != lowBefore)
            Report("LowLevel");
        if (HighLevel != highBefore)
            Report("HighLevel");
    }
}

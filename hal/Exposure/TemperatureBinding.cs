using Usp.Hal.Sampling;

namespace Usp.Hal.Exposure;

/// <summary>
/// One <c>Device.DeviceInfo.TemperatureStatus.TemperatureSensor.{i}.</c> row: a temperature channel of a polled
/// sensor (a BME280, a thermal zone…) with TR-181's minimum/maximum since reset and the low/high alarms. An alarm
/// time is set the first time a reading crosses its alarm value after a reset and reported at once.
/// </summary>
public sealed class TemperatureBinding(string name, SensorMonitor monitor, int channel, TimeProvider time, int? lowAlarm, int? highAlarm)
{
    /// <summary>TR-181: below absolute zero means "no good reading" and "alarm not configured".</summary>
    public const int NotSet = -274;

    private readonly Lock _gate = new();
    private State _state = new(time.GetUtcNow(), null, null, null, null, null, null, lowAlarm ?? NotSet, highAlarm ?? NotSet);

    private sealed record State(DateTimeOffset ResetTime, int? Min, DateTimeOffset? MinTime, int? Max, DateTimeOffset? MaxTime,
        DateTimeOffset? LowAlarmTime, DateTimeOffset? HighAlarmTime, int LowAlarm, int HighAlarm);

    public string Name { get; } = name;
    public string Alias => "cpe-" + Name;
    public SensorMonitor Monitor { get; } = monitor;
    public int ChannelIndex { get; } = channel;
    public int? InitialLowAlarm { get; } = lowAlarm;
    public int? InitialHighAlarm { get; } = highAlarm;
    public string? RowPath { get; internal set; }
    internal IValueChangeSink? Sink { get; set; }

    public int Value => Monitor.Current.Values is { } v ? (int)Math.Round(v[ChannelIndex], MidpointRounding.AwayFromZero) : NotSet;

    public string Status => !Monitor.Enabled ? "Disabled" : Monitor.Current.Failing ? "Error" : "Enabled";

    public int LowAlarm => Read().LowAlarm;
    public int HighAlarm => Read().HighAlarm;
    public DateTimeOffset ResetTime => Read().ResetTime;
    public int MinValue => Read().Min ?? NotSet;
    public DateTimeOffset? MinTime => Read().MinTime;
    public int MaxValue => Read().Max ?? NotSet;
    public DateTimeOffset? MaxTime => Read().MaxTime;
    public DateTimeOffset? LowAlarmTime => Read().LowAlarmTime;
    public DateTimeOffset? HighAlarmTime => Read().HighAlarmTime;

    private State Read()
    {
        lock (_gate)
            return _state;
    }

    /// <summary>LowAlarmValue / HighAlarmValue from the data model; a new value re-arms its alarm.</summary>
    public void SetAlarms(int low, int high)
    {
        lock (_gate)
        {
            _state = _state with
            {
                LowAlarm = low,
                HighAlarm = high,
                LowAlarmTime = low == _state.LowAlarm ? _state.LowAlarmTime : null,
                HighAlarmTime = high == _state.HighAlarm ? _state.HighAlarmTime : null,
            };
        }
        CheckAlarms(Monitor.Current);
    }

    /// <summary>Enable written: disabling stops reading; enabling again starts over (a reset).</summary>
    public void SetEnabled(bool enabled)
    {
        if (enabled == Monitor.Enabled)
            return;
        Monitor.Enabled = enabled;
        if (enabled)
        {
            lock (_gate)
                _state = _state with { ResetTime = time.GetUtcNow(), Min = null, MinTime = null, Max = null, MaxTime = null, LowAlarmTime = null, HighAlarmTime = null };
            Report("ResetTime", "MinValue", "MaxValue", "LowAlarmTime", "HighAlarmTime");
        }
        Report("Status");
    }

    internal void OnUpdated(SensorSnapshot previous, SensorSnapshot current)
    {
        if (previous.Failing != current.Failing)
            Report("Status");
        if (current.Values is not { } values)
            return;
        int value = (int)Math.Round(values[ChannelIndex], MidpointRounding.AwayFromZero);
        int? before = previous.Values is { } p ? (int)Math.Round(p[ChannelIndex], MidpointRounding.AwayFromZero) : null;
        var now = current.LastContact ?? time.GetUtcNow();
        bool newMin, newMax;
        lock (_gate)
        {
            newMin = _state.Min is not { } min || value < min;
            newMax = _state.Max is not { } max || value > max;
            _state = _state with
            {
                Min = newMin ? value : _state.Min,
                MinTime = newMin ? now : _state.MinTime,
                Max = newMax ? value : _state.Max,
                MaxTime = newMax ? now : _state.MaxTime,
            };
        }
        if (before != value)
            Report("Value");
        Report("LastUpdate");
        if (newMin)
            Report("MinValue", "MinTime");
        if (newMax)
            Report("MaxValue", "MaxTime");
        CheckAlarms(current);
    }

    /// <summary>Sets an alarm time the first time the reading is at or beyond its configured alarm value.</summary>
    private void CheckAlarms(SensorSnapshot current)
    {
        if (current.Values is not { } values || current.Failing)
            return;
        int value = (int)Math.Round(values[ChannelIndex], MidpointRounding.AwayFromZero);
        var now = current.LastContact ?? time.GetUtcNow();
        bool low = false, high = false;
        lock (_gate)
        {
            if (_state.HighAlarm != NotSet && _state.HighAlarmTime is null && value >= _state.HighAlarm)
            {
                _state = _state with { HighAlarmTime = now };
                high = true;
            }
            if (_state.LowAlarm != NotSet && _state.LowAlarmTime is null && value <= _state.LowAlarm)
            {
                _state = _state with { LowAlarmTime = now };
                low = true;
            }
        }
        if (high)
            Report("HighAlarmTime");
        if (low)
            Report("LowAlarmTime");
    }

    private void Report(params ReadOnlySpan<string> names)
    {
        if (RowPath is not { } row || Sink is not { } sink)
            return;
        foreach (string n in names)
            sink.ReportValueChanged(row + n);
    }
}

using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Usp.DataModel;
using Usp.DataModel.Store;

namespace Usp.Hal.Exposure;

/// <summary>
/// Connects the HAL's bindings to an open engine, both ways: values a Controller commits (BinaryControl.Value,
/// thresholds, alarm values, Enable, PollingInterval) reach the bindings — output lines are driven by a worker,
/// off the engine lock — and the bindings' changes go to the engine's ValueChange hook.
/// </summary>
public sealed partial class HalChangeRouter : IValueChangeSink, IDisposable
{
    private readonly UspEngine _engine;
    private readonly HalDataModelArea _area;
    private readonly ILogger _log;
    private readonly Channel<(BinaryControlBinding Binding, bool Value)> _writes =
        Channel.CreateUnbounded<(BinaryControlBinding, bool)>(new UnboundedChannelOptions { SingleReader = true });

    public HalChangeRouter(UspEngine engine, HalDataModelArea area, ILogger log)
    {
        _engine = engine;
        _area = area;
        _log = log;
        foreach (var c in area.Capabilities)
        {
            c.Sink = this;
            if (c is BinaryControlBinding control)
                control.ValueRequested += OnValueRequested;
        }
        foreach (var t in area.Temperatures)
            t.Sink = this;
        engine.ChangesCommitted += OnChangesCommitted;
    }

    public void ReportValueChanged(string parameterPath) => _engine.Notifications.ReportValueChanged(parameterPath);

    /// <summary>Drives output lines as the data model asks, until cancelled (the host's stop).</summary>
    public async Task RunOutputsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var (binding, value) in _writes.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                Drive(binding, value);
        }
        catch (OperationCanceledException)
        {
        }
    }

    internal void Drive(BinaryControlBinding binding, bool value)
    {
        if (binding.Device is not { } device)
        {
            LogWriteFailed(binding.Name, value, "its GPIO line is not available");
            return;
        }
        try
        {
            device.Write(value);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException or ArgumentException)
        {
            LogWriteFailed(binding.Name, value, e.Message);
        }
    }

    private void OnValueRequested(BinaryControlBinding binding, bool value) => _writes.Writer.TryWrite((binding, value));

    /// <summary>Under the engine lock: only parses and hands over.</summary>
    private void OnChangesCommitted(object? sender, ChangesCommittedEventArgs e)
    {
        foreach (var change in e.Changes)
        {
            if (change is not ParameterChanged p)
                continue;
            if (p.Path.StartsWith(HalDataModelArea.CapabilityTable, StringComparison.Ordinal))
                CapabilityChanged(p);
            else if (p.Path.StartsWith(HalDataModelArea.TemperatureTable, StringComparison.Ordinal))
                TemperatureChanged(p);
        }
    }

    private void CapabilityChanged(ParameterChanged p)
    {
        var (row, rest) = SplitRow(p.Path, HalDataModelArea.CapabilityTable);
        switch (_area.CapabilityAt(row), rest)
        {
            case (BinaryControlBinding control, "BinaryControl.Value"):
                control.Requested(p.NewValue == "true");
                break;
            case (LevelSensorBinding level, "LevelSensor.LowLevelThreshold"):
                level.SetThresholds(Decimal(p.NewValue), level.HighThreshold);
                break;
            case (LevelSensorBinding level, "LevelSensor.HighLevelThreshold"):
                level.SetThresholds(level.LowThreshold, Decimal(p.NewValue));
                break;
        }
    }

    private void TemperatureChanged(ParameterChanged p)
    {
        var (row, name) = SplitRow(p.Path, HalDataModelArea.TemperatureTable);
        if (_area.TemperatureAt(row) is not { } t)
            return;
        switch (name)
        {
            case "Enable":
                t.SetEnabled(p.NewValue != "false");
                break;
            case "LowAlarmValue":
                t.SetAlarms(Int(p.NewValue), t.HighAlarm);
                break;
            case "HighAlarmValue":
                t.SetAlarms(t.LowAlarm, Int(p.NewValue));
                break;
            case "PollingInterval" when int.TryParse(p.NewValue, NumberStyles.None, CultureInfo.InvariantCulture, out int s) && s > 0:
                t.Monitor.Interval = TimeSpan.FromSeconds(s);
                break;
        }
    }

    /// <summary>"Device.IoTCapability.3.LevelSensor.Value" → ("Device.IoTCapability.3.", "LevelSensor.Value").</summary>
    private static (string Row, string Tail) SplitRow(string path, string table)
    {
        int dot = path.IndexOf('.', table.Length);
        return dot < 0 ? (path, "") : (path[..(dot + 1)], path[(dot + 1)..]);
    }

    private static double? Decimal(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : null;

    private static int Int(string text) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v : TemperatureBinding.NotSet;

    public void Dispose()
    {
        _engine.ChangesCommitted -= OnChangesCommitted;
        _writes.Writer.TryComplete();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Output {Name} could not be set to {Value}: {Error}")]
    private partial void LogWriteFailed(string name, bool value, string error);
}

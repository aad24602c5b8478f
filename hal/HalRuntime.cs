using Microsoft.Extensions.Logging;
using Usp.DataModel;
using Usp.Hal.Config;
using Usp.Hal.Devices;
using Usp.Hal.Drivers;
using Usp.Hal.Exposure;
using Usp.Hal.Sampling;

namespace Usp.Hal;

/// <summary>
/// The HAL of one agent: the configured devices on a backend, their poll loops and the data model area exposing
/// them. Build it before the engine (its <see cref="Area"/> goes into the engine's areas), then <see cref="Start"/>
/// it with the open engine; it runs until the token is cancelled. A device that cannot be opened is logged with
/// what is missing and shown as failing; the rest of the HAL and the agent keep running. A GPIO line that cannot be
/// opened at start (its chip not there yet, or udev not yet done giving the gpio group access) is tried again with
/// a growing interval until it opens or the agent stops.
/// </summary>
public sealed partial class HalRuntime : IDisposable
{
    private readonly IHalBackend _backend;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private readonly List<SensorMonitor> _monitors = [];
    private readonly List<(HalDeviceConfig Config, BinarySensorBinding Binding)> _inputs = [];
    private readonly List<(HalDeviceConfig Config, BinaryControlBinding Binding)> _outputs = [];
    private static readonly TimeSpan FirstReopenDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxReopenDelay = TimeSpan.FromSeconds(30);
    private readonly List<IDisposable> _owned = [];
    private readonly List<Task> _loops = [];
    private HalChangeRouter? _router;
    private volatile bool _disposed;

    public HalRuntime(HalSettings settings, IHalBackend backend, TimeProvider time, ILoggerFactory loggers, IEnumerable<SensorMonitor>? extraTemperatureSources = null)
    {
        _backend = backend;
        _time = time;
        _loggers = loggers;
        _log = loggers.CreateLogger("Usp.Hal");
        var capabilities = new List<CapabilityBinding>();
        var temperatures = new List<TemperatureBinding>();
        foreach (var device in settings.Devices)
        {
            switch (device.Kind)
            {
                case HalDeviceKind.GpioOutput:
                    var output = new BinaryControlBinding(device.Name, device.CapabilityType ?? "Switch", device.Description, device.InitialValue);
                    _outputs.Add((device, output));
                    capabilities.Add(output);
                    break;
                case HalDeviceKind.GpioInput:
                    var input = new BinarySensorBinding(device.Name, device.CapabilityType ?? "DoorOpen", device.Description, time);
                    _inputs.Add((device, input));
                    capabilities.Add(input);
                    break;
                default:
                    var d = device;
                    var monitor = new SensorMonitor(device.Name, SensorCatalog.Channels(device.Kind), () => SensorCatalog.Open(d, backend),
                        device.PollInterval, time, loggers.CreateLogger("Usp.Hal.Devices"));
                    _monitors.Add(monitor);
                    for (int i = 0; i < monitor.Channels.Count; i++)
                    {
                        var level = new LevelSensorBinding(monitor.Channels.Count == 1 ? device.Name : $"{device.Name}-{monitor.Channels[i].Key}",
                            device.Description, monitor, i);
                        monitor.Updated += level.OnUpdated;
                        capabilities.Add(level);
                        if (monitor.Channels[i].IsTemperature)
                            temperatures.Add(Temperature(device.Name, monitor, i, device.LowAlarm, device.HighAlarm));
                    }
                    break;
            }
        }
        foreach (var zone in extraTemperatureSources ?? [])
        {
            _monitors.Add(zone);
            temperatures.Add(Temperature(zone.Name, zone, 0, null, null));
        }
        Area = new HalDataModelArea(capabilities, temperatures);
    }

    private TemperatureBinding Temperature(string name, SensorMonitor monitor, int channel, int? low, int? high)
    {
        var binding = new TemperatureBinding(name, monitor, channel, _time, low, high);
        monitor.Updated += binding.OnUpdated;
        return binding;
    }

    /// <summary>The IoTCapability and TemperatureStatus area, for <see cref="UspEngineOptions.Areas"/>.</summary>
    public HalDataModelArea Area { get; }

    public IHalBackend Backend => _backend;

    /// <summary>Opens the lines, starts every poll loop and the output worker, and connects to the engine.</summary>
    public void Start(UspEngine engine, CancellationToken stopping)
    {
        _router = new HalChangeRouter(engine, Area, _loggers.CreateLogger("Usp.Hal.Outputs"));
        LogBackend(_backend.Name, Area.Capabilities.Count, Area.Temperatures.Count, _backend.Inventory());
        foreach (var (config, binding) in _outputs)
        {
            Open(config.Name, stopping, () =>
            {
                var (controller, offset) = _backend.OpenLine(config);
                var device = new GpioOutputDevice(controller, offset, config.ActiveLow);
                device.Open(binding.RequestedValue);
                lock (_owned)
                {
                    if (_disposed)
                    {
                        device.Dispose();
                        return;
                    }

                    binding.Device = device;
                }
            });
        }
        foreach (var (config, binding) in _inputs)
        {
            Open(config.Name, stopping, () =>
            {
                var (controller, offset) = _backend.OpenLine(config);
                var device = new GpioInputDevice(controller, offset, config.ActiveLow, config.Bias, config.Debounce, _time);
                device.Changed += binding.Changed;
                device.Open();
                lock (_owned)
                {
                    if (_disposed)
                    {
                        device.Dispose();
                        return;
                    }

                    _owned.Add(device);
                }

                binding.Opened(device.Value);
            });
        }
        _loops.Add(Task.Run(() => _router.RunOutputsAsync(stopping), CancellationToken.None));
        foreach (var monitor in _monitors)
            _loops.Add(Task.Run(() => monitor.RunAsync(stopping), CancellationToken.None));
    }

    /// <summary>Waits for the loops to end after the token given to <see cref="Start"/> was cancelled.</summary>
    public Task WhenStoppedAsync() => Task.WhenAll(_loops);

    private void Open(string name, CancellationToken stopping, Action open)
    {
        if (TryOpen(open) is { } error)
        {
            LogOpenFailed(name, error);
            _loops.Add(Task.Run(() => ReopenAsync(name, open, stopping), CancellationToken.None));
        }
    }

    /// <summary>Tries again after 1, 2, 4 … (at most 30) seconds; logs only the success (the failure was logged once).</summary>
    private async Task ReopenAsync(string name, Action open, CancellationToken stopping)
    {
        var delay = FirstReopenDelay;
        while (true)
        {
            try
            {
                await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (_disposed)
                return;
            if (TryOpen(open) is null)
            {
                LogOpenedLater(name);
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxReopenDelay.Ticks));
        }
    }

    /// <summary>Runs <paramref name="open"/>; the reason it failed, or null.</summary>
    private static string? TryOpen(Action open)
    {
        try
        {
            open();
            return null;
        }
        catch (Exception e) when (e is HalDeviceUnavailableException or IOException or InvalidOperationException or UnauthorizedAccessException or ArgumentException or PlatformNotSupportedException or DllNotFoundException)
        {
            return e.Message;
        }
    }

    public void Dispose()
    {
        lock (_owned)
        {
            if (_disposed)
                return;
            _disposed = true;
        }

        _router?.Dispose();
        foreach (var monitor in _monitors)
            monitor.Dispose();
        foreach (var (_, binding) in _outputs)
            binding.Device?.Dispose();
        lock (_owned)
        {
            foreach (var owned in _owned)
                owned.Dispose();
        }
        _backend.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "HAL '{Backend}': {Capabilities} IoT capabilities, {Temperatures} temperature sensors; found {Inventory}.")]
    private partial void LogBackend(string backend, int capabilities, int temperatures, string inventory);

    [LoggerMessage(Level = LogLevel.Error, Message = "Device {Name} is not available: {Error}. Its data model rows stay; the rest of the agent keeps running.")]
    private partial void LogOpenFailed(string name, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {Name} is available now.")]
    private partial void LogOpenedLater(string name);
}

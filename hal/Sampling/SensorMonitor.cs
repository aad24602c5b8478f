using Microsoft.Extensions.Logging;
using Usp.Hal.Devices;

namespace Usp.Hal.Sampling;

/// <summary>
/// The seam between hardware and the engine for one polled sensor: its own loop reads the device every
/// <see cref="Interval"/> (a slow I2C transfer blocks only this loop, never the engine lock), publishes a
/// <see cref="SensorSnapshot"/> that the data model's getters read, and raises <see cref="Updated"/> so the
/// exposure can report ValueChange at once. A device that fails is closed, logged once, and opened again on the
/// next poll until it answers; then one line says it recovered.
/// </summary>
public sealed partial class SensorMonitor(
    string name, IReadOnlyList<SensorChannel> channels, Func<ISensorDevice> open, TimeSpan interval, TimeProvider time, ILogger log) : IDisposable
{
    private readonly Lock _gate = new();
    private ISensorDevice? _device;
    private SensorSnapshot _current = SensorSnapshot.Initial;

    public string Name { get; } = name;
    public IReadOnlyList<SensorChannel> Channels { get; } = channels;
    public SensorSnapshot Current => Volatile.Read(ref _current);
    public TimeSpan Interval { get; set; } = interval;
    /// <summary>False: the loop does not read the device (TemperatureSensor.Enable false).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Raised on the poll loop after each read that changed the snapshot: (previous, current).</summary>
    public event Action<SensorSnapshot, SensorSnapshot>? Updated;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (Enabled)
                SampleOnce();
            try
            {
                await Task.Delay(Interval, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>One poll: read the device (opening it first if needed) and publish what changed.</summary>
    public void SampleOnce()
    {
        lock (_gate)
        {
            var previous = _current;
            var now = time.GetUtcNow();
            SensorSnapshot next;
            try
            {
                _device ??= open();
                var values = new double[Channels.Count];
                _device.Read(values);
                for (int i = 0; i < values.Length; i++)
                {
                    if (!double.IsFinite(values[i]))
                        throw new IOException($"{Channels[i].Key} reading is not a number");
                    values[i] = Math.Round(values[i], Channels[i].Decimals, MidpointRounding.AwayFromZero);
                }
                bool changed = previous.Values is null || !previous.Values.SequenceEqual(values);
                next = new SensorSnapshot(values, now, changed ? now : previous.LastChange, null);
                if (previous.Failing)
                    LogRecovered(Name);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException or ArgumentException or HalDeviceUnavailableException or TimeoutException)
            {
                _device?.Dispose();
                _device = null;
                next = previous with { Error = e.Message };
                if (!previous.Failing)
                    LogFailed(Name, e.Message, Interval.TotalSeconds);
            }
            Volatile.Write(ref _current, next);
            if (next != previous)
                Updated?.Invoke(previous, next);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _device?.Dispose();
            _device = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {Name} failed: {Error}. Its Status shows Error; it is tried again every {Seconds} s.")]
    private partial void LogFailed(string name, string error, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {Name} answers again.")]
    private partial void LogRecovered(string name);
}

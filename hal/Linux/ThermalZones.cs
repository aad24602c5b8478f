using System.Globalization;
using Microsoft.Extensions.Logging;
using Usp.Hal.Devices;
using Usp.Hal.Sampling;

namespace Usp.Hal.Linux;

/// <summary>
/// The kernel's thermal zones (<c>/sys/class/thermal/thermal_zoneN</c>, below a root that tests point elsewhere),
/// each a polled one-channel temperature sensor named after its <c>type</c> (cpu-thermal, x86_pkg_temp…).
/// </summary>
public static class ThermalZones
{
    public static IReadOnlyList<SensorMonitor> Discover(string systemRoot, TimeProvider time, ILoggerFactory loggers, TimeSpan? interval = null)
    {
        string dir = Path.Combine(systemRoot, "sys/class/thermal");
        if (!Directory.Exists(dir))
            return [];
        var zones = new List<SensorMonitor>();
        foreach (string zone in Directory.EnumerateDirectories(dir, "thermal_zone*").Order(StringComparer.Ordinal))
        {
            string id = Path.GetFileName(zone)["thermal_zone".Length..];
            string type = ReadText(Path.Combine(zone, "type")) ?? "zone";
            string name = $"thermal{id}-{Sanitize(type)}";
            if (name.Length > 58)
                name = name[..58];
            string tempPath = Path.Combine(zone, "temp");
            zones.Add(new SensorMonitor(name, [SensorChannel.Temperature], () => new ThermalZoneSensor(tempPath),
                interval ?? TimeSpan.FromSeconds(5), time, loggers.CreateLogger("Usp.Hal.Devices")));
        }
        return zones;
    }

    private static string Sanitize(string type) => new([.. type.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-')]);

    private static string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>One zone's <c>temp</c> file: millidegrees Celsius.</summary>
    private sealed class ThermalZoneSensor(string path) : ISensorDevice
    {
        public IReadOnlyList<SensorChannel> Channels { get; } = [SensorChannel.Temperature];

        public void Read(Span<double> values)
        {
            string text = File.ReadAllText(path).Trim();
            values[0] = long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long milli)
                ? milli / 1000.0
                : throw new IOException($"{path} holds '{text}', not millidegrees");
        }

        public void Dispose()
        {
        }
    }
}

using System.Globalization;

namespace Usp.DataModel.Areas;

/// <summary>
/// Reads /proc (uptime, meminfo, stat) on Linux; falls back to what the runtime knows elsewhere.
/// </summary>
public sealed class ProcSystemStatus : ISystemStatus
{
    private readonly Lock _gate = new();
    private (ulong Busy, ulong Total) _lastCpu;

    public long UpTimeSeconds
    {
        get
        {
            var text = TryRead("/proc/uptime");
            if (text is not null && double.TryParse(text.Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var s))
                return (long)s;
            return Environment.TickCount64 / 1000;
        }
    }

    public long MemoryTotalKiB => MemInfo("MemTotal:") ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024;

    public long MemoryFreeKiB => MemInfo("MemAvailable:") ?? MemInfo("MemFree:") ??
        Math.Max(0, (GC.GetGCMemoryInfo().TotalAvailableMemoryBytes - GC.GetGCMemoryInfo().MemoryLoadBytes) / 1024);

    public int CpuUsagePercent
    {
        get
        {
            var line = TryRead("/proc/stat")?.Split('\n').FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
            if (line is null)
                return 0;
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(f => ulong.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0).ToArray();
            if (fields.Length < 4)
                return 0;
            ulong total = 0;
            foreach (var f in fields)
                total += f;
            ulong idle = fields[3] + (fields.Length > 4 ? fields[4] : 0);
            ulong busy = total - idle;
            lock (_gate)
            {
                var (lastBusy, lastTotal) = _lastCpu;
                _lastCpu = (busy, total);
                if (total <= lastTotal)
                    return 0;
                return (int)Math.Clamp((busy - lastBusy) * 100 / (total - lastTotal), 0UL, 100UL);
            }
        }
    }

    private static long? MemInfo(string key)
    {
        var line = TryRead("/proc/meminfo")?.Split('\n').FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        if (line is null)
            return null;
        var parts = line[key.Length..].Trim().Split(' ');
        return long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var kib) ? kib : null;
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}

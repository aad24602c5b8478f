using System.Globalization;
using System.Runtime.InteropServices;

namespace Usp.DataModel.Areas;

/// <summary>
/// Reads /proc (uptime, meminfo, stat) under a root directory (<c>/</c>, or a fake tree in tests) on Linux; falls
/// back to what the runtime knows elsewhere.
/// </summary>
/// <remarks>
/// Every Get of DeviceInfo reads these, so each read is one open, one pread of the first bytes into a stack
/// buffer and one close (the figures sit at the start of each file), parsed without building strings. The kernel
/// formats all of /proc/meminfo and /proc/stat (every IRQ counter) for each read, which was the largest single
/// cost of a Get: a reading of /proc/meminfo serves MemoryStatus for <see cref="MemInfoFreshMs"/>, and one of
/// /proc/stat serves CPUUsage for one USER_HZ tick, the unit its counters move in. UpTime is the clock /proc/uptime
/// shows, CLOCK_BOOTTIME, read directly (the vDSO answers it without a system call).
/// </remarks>
public sealed partial class ProcSystemStatus : ISystemStatus
{
    /// <summary>Enough for /proc/uptime, the first lines of /proc/meminfo and the "cpu " line of /proc/stat.</summary>
    private const int HeadBytes = 1024;

    private const long MemInfoFreshMs = 100;
    private const long CpuStatFreshMs = 10;

    private readonly Lock _gate = new();
    private readonly string _uptimePath;
    private readonly string _memInfoPath;
    private readonly string _statPath;
    private readonly bool _realRoot;
    private (ulong Busy, ulong Total) _lastCpu;
    private (long ReadAt, int Percent) _cpu = (long.MinValue, 0);
    private (long ReadAt, long? Total, long? Available, long? Free) _memInfo = (long.MinValue, null, null, null);

    /// <param name="systemRoot">The directory /proc is read under (tests point it at a fake tree).</param>
    public ProcSystemStatus(string systemRoot = "/")
    {
        string proc = Path.Combine(systemRoot, "proc");
        _uptimePath = Path.Combine(proc, "uptime");
        _memInfoPath = Path.Combine(proc, "meminfo");
        _statPath = Path.Combine(proc, "stat");
        _realRoot = Path.GetFullPath(systemRoot) == "/";
    }

    /// <summary>Linux's CLOCK_BOOTTIME: monotonic, counting time suspended; the first figure of /proc/uptime.</summary>
    private const int ClockBootTime = 7;

    public long UpTimeSeconds
    {
        get
        {
            if (_realRoot && OperatingSystem.IsLinux() && ClockGetTime(ClockBootTime, out Timespec now) == 0)
                return (long)now.Seconds;
            Span<byte> buffer = stackalloc byte[HeadBytes];
            ReadOnlySpan<byte> text = ReadHead(_uptimePath, buffer);
            int space = text.IndexOf((byte)' ');
            if (space > 0 && double.TryParse(text[..space], NumberStyles.Float, CultureInfo.InvariantCulture, out var s))
                return (long)s;
            return Environment.TickCount64 / 1000;
        }
    }

    public long MemoryTotalKiB => MemInfo().Total ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024;

    public long MemoryFreeKiB
    {
        get
        {
            var memInfo = MemInfo();
            return memInfo.Available ?? memInfo.Free ??
                Math.Max(0, (GC.GetGCMemoryInfo().TotalAvailableMemoryBytes - GC.GetGCMemoryInfo().MemoryLoadBytes) / 1024);
        }
    }

    public int CpuUsagePercent
    {
        get
        {
            long now = Environment.TickCount64;
            lock (_gate)
            {
                if (_cpu.ReadAt > now - CpuStatFreshMs)
                    return _cpu.Percent;
            }
            int percent = ReadCpuUsagePercent();
            lock (_gate)
                _cpu = (now, percent);
            return percent;
        }
    }

    private int ReadCpuUsagePercent()
    {
        Span<byte> buffer = stackalloc byte[HeadBytes];
        ReadOnlySpan<byte> line = Line(ReadHead(_statPath, buffer), "cpu "u8);
        if (line.IsEmpty)
            return 0;
        ulong total = 0, idle = 0;
        int count = 0;
        ReadOnlySpan<byte> fields = line["cpu "u8.Length..];
        foreach (Range range in fields.Split((byte)' '))
        {
            ReadOnlySpan<byte> digits = fields[range];
            if (digits.IsEmpty)
                continue;
            ulong value = ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
            total += value;
            if (count is 3 or 4)
                idle += value; // idle and iowait
            count++;
        }
        if (count < 4)
            return 0;
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

    private (long? Total, long? Available, long? Free) MemInfo()
    {
        long now = Environment.TickCount64;
        lock (_gate)
        {
            if (_memInfo.ReadAt > now - MemInfoFreshMs)
                return (_memInfo.Total, _memInfo.Available, _memInfo.Free);
        }
        Span<byte> buffer = stackalloc byte[HeadBytes];
        ReadOnlySpan<byte> text = ReadHead(_memInfoPath, buffer);
        var figures = (MemInfoValue(text, "MemTotal:"u8), MemInfoValue(text, "MemAvailable:"u8), MemInfoValue(text, "MemFree:"u8));
        lock (_gate)
            _memInfo = (now, figures.Item1, figures.Item2, figures.Item3);
        return figures;
    }

    private static long? MemInfoValue(ReadOnlySpan<byte> text, ReadOnlySpan<byte> key)
    {
        ReadOnlySpan<byte> line = Line(text, key);
        if (line.IsEmpty)
            return null;
        ReadOnlySpan<byte> value = line[key.Length..].TrimStart((byte)' ');
        int end = value.IndexOf((byte)' ');
        return long.TryParse(end < 0 ? value : value[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var kib) ? kib : null;
    }

    /// <summary>The line starting with <paramref name="key"/>, without its newline; empty when there is none.</summary>
    private static ReadOnlySpan<byte> Line(ReadOnlySpan<byte> text, ReadOnlySpan<byte> key)
    {
        while (!text.IsEmpty)
        {
            int newline = text.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = newline < 0 ? text : text[..newline];
            if (line.StartsWith(key))
                return line;
            text = newline < 0 ? default : text[(newline + 1)..];
        }
        return default;
    }

    /// <summary>The first bytes of <paramref name="path"/>; empty when it cannot be read.</summary>
    internal static ReadOnlySpan<byte> ReadHead(string path, Span<byte> buffer)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return buffer[..RandomAccess.Read(handle, buffer, 0)];
        }
        catch (IOException)
        {
            return default;
        }
        catch (UnauthorizedAccessException)
        {
            return default;
        }
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec time);

    /// <summary>struct timespec as the C library's clock_gettime fills it: two C longs (time_t and long).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }
}

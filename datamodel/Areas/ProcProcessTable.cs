using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Usp.DataModel.Store;

namespace Usp.DataModel.Areas;

/// <summary>One process as <c>Device.DeviceInfo.ProcessStatus.Process.{i}.</c> shows it (tr-181-2-deviceinfo).</summary>
public sealed record ProcessSample(int Pid, string Command, uint SizeKiB, uint Priority, uint CpuTimeMs, string State);

/// <summary>
/// The rows of <c>Device.DeviceInfo.ProcessStatus.Process.{i}.</c>, read from <c>/proc/[pid]/stat</c> and
/// <c>/proc/[pid]/cmdline</c> under a root directory (tests use a fake tree). A row is one process: its instance number
/// stays while that process lives, keyed by PID and start time, so a PID the kernel hands out again gets a new number.
/// Sampled off the engine lock at most once per freshness window (1 s by default).
/// </summary>
/// <remarks>
/// Command is the command line (arguments joined by spaces, at most 256 characters), or the kernel's name in brackets
/// (<c>[kthreadd]</c>) for a process without one, as <c>ps</c> shows it. Size is the resident set (stat's rss pages),
/// CPUTime utime + stime. Priority maps Linux's scheduling priorities onto TR-181's 0 (highest) to 99, keeping their
/// order: real-time priorities 99..1 become 0..59, nice -20..19 becomes 60..99 (nice 0 is 80).
/// </remarks>
public sealed partial class ProcProcessTable : KeyedRowSource<(int Pid, ulong StartTime), ProcessSample>
{
    /// <summary>TR-181's Command maxLength.</summary>
    public const int CommandMaxLength = 256;

    private const int StatBytes = 1024;
    private const int CmdlineBytes = 1024;

    private readonly string _proc;
    private readonly long _clockTicks;
    private readonly long _pageSize;

    public ProcProcessTable(string systemRoot = "/", TimeProvider? time = null)
        : this(systemRoot, time, TimeSpan.FromSeconds(1), ClockTicksPerSecond(), Environment.SystemPageSize)
    {
    }

    /// <param name="clockTicks">USER_HZ, the unit of stat's CPU times.</param>
    /// <param name="pageSize">The unit of stat's rss.</param>
    public ProcProcessTable(string systemRoot, TimeProvider? time, TimeSpan freshness, long clockTicks, long pageSize)
        : base(freshness, time)
    {
        _proc = Path.Combine(systemRoot, "proc");
        _clockTicks = clockTicks > 0 ? clockTicks : 100;
        _pageSize = pageSize > 0 ? pageSize : 4096;
    }

    protected override IEnumerable<((int Pid, ulong StartTime) Key, ProcessSample Data)> Sample()
    {
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateDirectories(_proc);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        byte[] buffer = new byte[Math.Max(StatBytes, CmdlineBytes)];
        foreach (string directory in entries)
        {
            ReadOnlySpan<char> name = Path.GetFileName(directory.AsSpan());
            if (name.IsEmpty || !int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid <= 0)
                continue;
            if (Read(directory, pid, buffer) is { } sample)
                yield return sample;
        }
    }

    /// <summary>One process; null when it ended while being read or its stat cannot be parsed.</summary>
    private ((int, ulong), ProcessSample)? Read(string directory, int pid, byte[] buffer)
    {
        if (!TryParseStat(ProcSystemStatus.ReadHead(Path.Combine(directory, "stat"), buffer), out var stat))
            return null;
        string command = CommandLine(ProcSystemStatus.ReadHead(Path.Combine(directory, "cmdline"), buffer.AsSpan(0, CmdlineBytes))) ?? $"[{stat.Name}]";
        var sample = new ProcessSample(
            pid,
            command,
            Clamp(stat.RssPages * (ulong)_pageSize / 1024),
            TrPriority(stat.Priority),
            Clamp((stat.UserTicks + stat.SystemTicks) * 1000 / (ulong)_clockTicks),
            StateName(stat.State));
        return ((pid, stat.StartTime), sample);
    }

    /// <summary>The figures this table uses from one /proc/[pid]/stat line (proc(5) numbers the fields from 1).</summary>
    internal readonly record struct StatFields(string Name, char State, ulong UserTicks, ulong SystemTicks, long Priority, ulong StartTime, ulong RssPages);

    /// <summary>Parses "pid (comm) state ppid …": comm may hold spaces and parentheses, so the fields start after the last ')'.</summary>
    internal static bool TryParseStat(ReadOnlySpan<byte> line, out StatFields fields)
    {
        fields = default;
        int open = line.IndexOf((byte)'(');
        int close = line.LastIndexOf((byte)')');
        if (open < 0 || close < open || close + 2 >= line.Length)
            return false;
        string name = Encoding.UTF8.GetString(line[(open + 1)..close]);
        ReadOnlySpan<byte> rest = line[(close + 2)..];
        char state = '?';
        ulong utime = 0, stime = 0, start = 0, rss = 0;
        long priority = 0;
        int field = 3, seen = 0;
        foreach (Range range in rest.Split((byte)' '))
        {
            ReadOnlySpan<byte> value = rest[range].TrimEnd((byte)'\n');
            switch (field)
            {
                case 3: state = value.IsEmpty ? '?' : (char)value[0]; seen++; break;
                case 14: seen += Parse(value, out utime) ? 1 : 0; break;
                case 15: seen += Parse(value, out stime) ? 1 : 0; break;
                case 18: seen += long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out priority) ? 1 : 0; break;
                case 22: seen += Parse(value, out start) ? 1 : 0; break;
                case 24: seen += Parse(value, out rss) ? 1 : 0; break;
            }
            if (++field > 24)
                break;
        }
        if (seen != 6)
            return false;
        fields = new StatFields(name, state, utime, stime, priority, start, rss);
        return true;

        static bool Parse(ReadOnlySpan<byte> digits, out ulong value)
        {
            // rss is signed in the kernel's format (it is never negative for a live process); read it as such.
            if (long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long signed))
            {
                value = signed < 0 ? 0 : (ulong)signed;
                return true;
            }
            return ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }
    }

    /// <summary>
    /// stat's priority is 20 + nice (0..39) for normal tasks and -1 - rt_priority (-2..-100) for real-time ones
    /// (-101 for SCHED_DEADLINE). TR-181 wants 0 (highest) to 99: real-time 99..1 → 0..59, nice -20..19 → 60..99.
    /// </summary>
    internal static uint TrPriority(long statPriority)
    {
        if (statPriority >= 0)
            return (uint)Math.Min(99, 60 + statPriority);
        long rtPriority = Math.Clamp(-1 - statPriority, 1, 99);
        return (uint)(59 - (rtPriority - 1) * 59 / 98);
    }

    /// <summary>proc(5)'s state letters in TR-181's enumeration.</summary>
    internal static string StateName(char state) => state switch
    {
        'R' => "Running",
        'D' => "Uninterruptible",
        'T' or 't' => "Stopped",
        'Z' or 'X' or 'x' => "Zombie",
        'I' or 'P' => "Idle",
        _ => "Sleeping", // S, and W (paging) on old kernels
    };

    private static uint Clamp(ulong value) => value > uint.MaxValue ? uint.MaxValue : (uint)value;

    private static string? CommandLine(ReadOnlySpan<byte> cmdline)
    {
        cmdline = cmdline.TrimEnd((byte)0);
        if (cmdline.IsEmpty)
            return null;
        string text = Encoding.UTF8.GetString(cmdline).Replace('\0', ' ');
        return text.Length <= CommandMaxLength ? text : text[..CommandMaxLength];
    }

    private static long ClockTicksPerSecond()
    {
        const int ScClkTck = 2; // _SC_CLK_TCK on Linux
        if (!OperatingSystem.IsLinux())
            return 100;
        try
        {
            long ticks = SysConf(ScClkTck);
            return ticks > 0 ? ticks : 100;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 100;
        }
    }

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial nint SysConf(int name);
}

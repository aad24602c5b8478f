using System.Globalization;
using Usp.DataModel.Areas;

namespace Usp.DataModel.Tests;

/// <summary>DeviceInfo's live figures read from /proc (the agent runs on Linux), agreeing with what the files say.</summary>
public sealed class ProcSystemStatusTests
{
    [Fact]
    public void Memory_figures_are_those_of_proc_meminfo()
    {
        var status = new ProcSystemStatus();

        long total = status.MemoryTotalKiB;
        long free = status.MemoryFreeKiB;

        Assert.Equal(MemInfo("MemTotal:"), total);
        Assert.InRange(free, 1, total);
        Assert.NotEqual(total, free);
    }

    [Fact]
    public void Uptime_and_cpu_usage_come_from_proc()
    {
        var status = new ProcSystemStatus();
        double uptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);

        Assert.InRange(status.UpTimeSeconds, (long)uptime, (long)uptime + 60);
        Assert.InRange(status.CpuUsagePercent, 0, 100);
        Assert.InRange(status.CpuUsagePercent, 0, 100);
    }

    private static long MemInfo(string key) =>
        long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith(key, StringComparison.Ordinal))[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
}

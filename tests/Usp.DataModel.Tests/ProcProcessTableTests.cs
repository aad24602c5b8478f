using Usp.DataModel.Areas;
using Usp.Proto;

namespace Usp.DataModel.Tests;

/// <summary>
/// Device.DeviceInfo.ProcessStatus.Process.{i}. and MemoryStatus/CPUUsage read from a fake /proc tree (the system
/// root moved to a test directory), and from the real /proc for the test's own process.
/// </summary>
public sealed class ProcProcessTableTests : IDisposable
{
    private const string Table = "Device.DeviceInfo.ProcessStatus.Process.";
    private readonly FakeSystemRoot _root = new();
    private readonly SteppedClock _clock = new();

    public ProcProcessTableTests()
    {
        _root.File("proc/uptime", "12345.67 2000.00\n")
            .File("proc/meminfo", "MemTotal:        1000 kB\nMemFree:          200 kB\nMemAvailable:     600 kB\nBuffers:  10 kB\n")
            .File("proc/stat", "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 100 0 100 800 0 0 0 0 0 0\nintr 1 2 3\n")
            .File("proc/sys/kernel/pid_max", "4194304\n")
            .File("proc/self/stat", "not a process directory")
            .Process(1, "systemd", 'S', utime: 150, stime: 250, priority: 20, start: 5, rss: 3000, cmdline: "/sbin/init\0splash\0")
            .Process(2, "kthreadd", 'S', utime: 0, stime: 3, priority: 20, start: 5, rss: 0, cmdline: "")
            .Process(77, "my (weird) name", 'R', utime: 7, stime: 3, priority: -51, start: 900, rss: 25, cmdline: null)
            .Process(100, "defunct", 'Z', utime: 1, stime: 1, priority: 39, start: 950, rss: 0, cmdline: "")
            .File("proc/99/stat", "99 (truncated) S 1 99");
    }

    public void Dispose() => _root.Dispose();

    private ProcProcessTable NewTable() => new(_root.Path, _clock, TimeSpan.FromSeconds(1), clockTicks: 100, pageSize: 4096);

    private TestAgent NewAgent(ProcProcessTable table) => new(identity: _root.Settings(), processes: table);

    private static Dictionary<string, Dictionary<string, string>> Rows(TestAgent agent) =>
        Assert.Single(agent.Get(Table).ReqPathResults).ResolvedPathResults
            .ToDictionary(r => r.ResolvedPath, r => r.ResultParams.ToDictionary(p => p.Key, p => p.Value));

    [Fact]
    public void Each_process_of_proc_is_a_row_with_its_stat_and_command_line()
    {
        using var agent = NewAgent(NewTable());

        var rows = Rows(agent);

        Assert.Equal(4, rows.Count); // 99's stat is cut short and "self" is no PID
        Assert.Equal(new Dictionary<string, string>
        {
            ["PID"] = "1", ["Command"] = "/sbin/init splash", ["Size"] = "12000", ["Priority"] = "80", ["CPUTime"] = "4000", ["State"] = "Sleeping",
        }, rows.Values.Single(r => r["PID"] == "1"));
        Assert.Equal("[kthreadd]", rows.Values.Single(r => r["PID"] == "2")["Command"]);
        var weird = rows.Values.Single(r => r["PID"] == "77");
        Assert.Equal(("[my (weird) name]", "Running", "30", "100", "100"), (weird["Command"], weird["State"], weird["Priority"], weird["CPUTime"], weird["Size"]));
        Assert.Equal(("Zombie", "99"), (rows.Values.Single(r => r["PID"] == "100")["State"], rows.Values.Single(r => r["PID"] == "100")["Priority"]));
        Assert.Equal("4", agent.Value("Device.DeviceInfo.ProcessStatus.ProcessNumberOfEntries"));
    }

    [Fact]
    public void A_row_keeps_its_instance_number_while_its_process_lives_and_a_reused_pid_gets_a_new_one()
    {
        using var agent = NewAgent(NewTable());
        string initPath = Rows(agent).Single(r => r.Value["PID"] == "1").Key;
        string kthreaddPath = Rows(agent).Single(r => r.Value["PID"] == "2").Key;

        Directory.Delete(Path.Combine(_root.Path, "proc/77"), recursive: true);
        _root.Process(2, "kthreadd", 'S', utime: 0, stime: 9, priority: 20, start: 5, rss: 0, cmdline: "") // same process, more CPU
            .Process(1, "bash", 'R', utime: 1, stime: 1, priority: 20, start: 99999, rss: 10, cmdline: "bash\0"); // PID 1 reused
        _clock.Advance(TimeSpan.FromSeconds(1));
        var rows = Rows(agent);

        Assert.Equal(kthreaddPath, rows.Single(r => r.Value["PID"] == "2").Key);
        Assert.Equal("90", rows[kthreaddPath]["CPUTime"]);
        Assert.NotEqual(initPath, rows.Single(r => r.Value["PID"] == "1").Key);
        Assert.DoesNotContain(initPath, rows.Keys);
        Assert.DoesNotContain(rows.Values, r => r["PID"] == "77");
        Assert.Equal("bash", agent.Value(Table + "[PID==1].Command"));
    }

    [Fact]
    public void The_table_is_read_only_and_its_rows_cannot_be_deleted()
    {
        using var agent = NewAgent(NewTable());

        Assert.Equal(ErrorCodes.ObjectNotCreatable, agent.Add(false, (Table, [])).Body.Error.ErrCode);
        Assert.Equal(ErrorCodes.DeleteFailure, agent.Delete(false, Table + "[PID==1].").Body.Error.ErrCode);
        var set = agent.Set(false, (Table + "[PID==1].", [("Command", "x", true)]));
        Assert.Equal(Header.Types.MsgType.Error, set.Header.MsgType);
        Assert.Equal("/sbin/init splash", agent.Value(Table + "[PID==1].Command"));
    }

    [Fact]
    public void Supported_data_model_matches_tr181()
    {
        using var agent = NewAgent(NewTable());

        var obj = Assert.Single(Assert.Single(agent.GetSupportedDm(new GetSupportedDM { ObjPaths = { Table + "{i}." }, ReturnParams = true, FirstLevelOnly = true })
            .ReqObjResults).SupportedObjs);

        Assert.Equal((true, GetSupportedDMResp.Types.ObjAccessType.ObjReadOnly), (obj.IsMultiInstance, obj.Access));
        Assert.Equal(["PID", "Command", "Size", "Priority", "CPUTime", "State"], obj.SupportedParams.Select(p => p.ParamName));
        Assert.All(obj.SupportedParams, p => Assert.Equal(GetSupportedDMResp.Types.ParamAccessType.ParamReadOnly, p.Access));
        Assert.Equal(GetSupportedDMResp.Types.ParamValueType.ParamUnsignedInt, obj.SupportedParams.Single(p => p.ParamName == "CPUTime").ValueType);
        Assert.Equal(GetSupportedDMResp.Types.ParamValueType.ParamString, obj.SupportedParams.Single(p => p.ParamName == "State").ValueType);
    }

    [Fact]
    public void Memory_uptime_and_cpu_figures_come_from_the_fake_proc()
    {
        var status = new ProcSystemStatus(_root.Path);

        Assert.Equal((1000, 600, 12345), (status.MemoryTotalKiB, status.MemoryFreeKiB, status.UpTimeSeconds));
        Assert.Equal(20, status.CpuUsagePercent); // 200 busy of 1000 since boot
        _root.File("proc/stat", "cpu  200 0 200 1400 0 0 0 0 0 0\n");
        Thread.Sleep(50); // past the one-tick cache of /proc/stat
        Assert.Equal(25, status.CpuUsagePercent); // 200 busy of 800 since the last read

        _root.File("proc/meminfo", "MemTotal: 2000 kB\nMemFree: 300 kB\n"); // an old kernel: no MemAvailable
        Assert.Equal((2000, 300), (new ProcSystemStatus(_root.Path).MemoryTotalKiB, new ProcSystemStatus(_root.Path).MemoryFreeKiB));
    }

    [Fact]
    public void DeviceInfo_reads_memory_from_the_system_root()
    {
        using var agent = NewAgent(NewTable());

        Assert.Equal("1000", agent.Value("Device.DeviceInfo.MemoryStatus.Total"));
        Assert.Equal("600", agent.Value("Device.DeviceInfo.MemoryStatus.Free"));
        Assert.Equal("12345", agent.Value("Device.DeviceInfo.UpTime"));
    }

    [Fact]
    public void The_real_proc_lists_this_test_process_by_its_pid()
    {
        using var agent = new TestAgent();
        int pid = Environment.ProcessId;
        string cmdline = File.ReadAllText($"/proc/{pid}/cmdline").TrimEnd('\0').Replace('\0', ' ');

        string command = agent.Value($"{Table}[PID=={pid}].Command");

        Assert.Equal(cmdline.Length <= ProcProcessTable.CommandMaxLength ? cmdline : cmdline[..ProcProcessTable.CommandMaxLength], command);
        int listed = int.Parse(agent.Value("Device.DeviceInfo.ProcessStatus.ProcessNumberOfEntries"), System.Globalization.CultureInfo.InvariantCulture);
        int inProc = Directory.EnumerateDirectories("/proc").Count(d => int.TryParse(Path.GetFileName(d), out _));
        Assert.InRange(listed, inProc - 50, inProc + 50); // processes come and go between the two readings
    }
}

internal static class FakeProcTree
{
    /// <summary>/proc/[pid]/stat as the kernel writes it (52 fields), and /proc/[pid]/cmdline when given.</summary>
    public static FakeSystemRoot Process(this FakeSystemRoot root, int pid, string comm, char state, ulong utime, ulong stime,
        long priority, ulong start, long rss, string? cmdline)
    {
        long nice = priority >= 0 ? priority - 20 : 0;
        string stat = $"{pid} ({comm}) {state} 1 {pid} {pid} 0 -1 4194560 500 0 0 0 {utime} {stime} 0 0 {priority} {nice} 1 0 {start} 170000000 {rss} 18446744073709551615 1 1 0 0 0 0 671173123 4096 1260 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
        root.File($"proc/{pid}/stat", stat);
        if (cmdline is not null)
            root.File($"proc/{pid}/cmdline", cmdline);
        return root;
    }
}

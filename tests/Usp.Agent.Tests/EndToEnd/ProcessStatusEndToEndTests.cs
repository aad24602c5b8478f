using Usp.Proto;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>
/// Device.DeviceInfo.ProcessStatus.Process.{i}. (a computed table sampled from /proc) read over CoAP by the independent
/// node Controller (npm coap + protobufjs with the Broadband Forum schemas).
/// </summary>
public sealed class ProcessStatusEndToEndTests
{
    private const string Table = "Device.DeviceInfo.ProcessStatus.Process.";

    [Fact]
    public async Task Get_of_every_Process_Command_over_CoAP_finds_the_agent_itself_by_its_PID()
    {
        await using E2EAgent e2e = await E2EAgent.StartAsync();
        int pid = e2e.Agent.Pid;
        string[] argv = File.ReadAllText($"/proc/{pid}/cmdline").TrimEnd('\0').Split('\0');
        // Under qemu-user (the arm64 builds) the process is the emulator running the agent, and the emulator shows
        // the agent its own /proc/PID without itself in argv.
        bool emulated = Path.GetFileName(argv[0]).StartsWith("qemu-", StringComparison.Ordinal);
        if (emulated)
            argv = argv[1..];
        string cmdline = string.Join(' ', argv);

        // One message, one sampling: the instance numbers of both paths agree.
        var (response, _) = await e2e.WithAgentLogAsync(e2e.RoundTripAsync(E2EAgent.Get("ps-1", Table + "*.PID", Table + "*.Command", "Device.DeviceInfo.ProcessStatus.ProcessNumberOfEntries")));

        var results = response.Body.Response.GetResp.ReqPathResults;
        Assert.All(results, r => Assert.Equal(0u, r.ErrCode));
        var pids = results[0].ResolvedPathResults.ToDictionary(r => r.ResolvedPath, r => r.ResultParams["PID"]);
        var commands = results[1].ResolvedPathResults.ToDictionary(r => r.ResolvedPath, r => r.ResultParams["Command"]);
        Assert.Equal(pids.Keys.Order(), commands.Keys.Order());
        Assert.Equal(results[2].ResolvedPathResults[0].ResultParams["ProcessNumberOfEntries"], pids.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(pids.Count > 1, $"only {pids.Count} process row(s)");
        string agentRow = Assert.Single(pids, p => p.Value == pid.ToString(System.Globalization.CultureInfo.InvariantCulture)).Key;
        Assert.Equal(cmdline.Length <= 256 ? cmdline : cmdline[..256], commands[agentRow]);

        // A search expression on the unique key addresses the same row.
        var (byKey, _) = await e2e.RoundTripAsync(E2EAgent.Get("ps-2", $"{Table}[PID=={pid}].Command"));
        var resolved = Assert.Single(Assert.Single(byKey.Body.Response.GetResp.ReqPathResults).ResolvedPathResults);
        if (emulated)
        {
            // qemu-user makes up the agent's own /proc/PID/stat, and its start time can read differently from one
            // sampling to the next (seen in a CI run: row 87, then 91), so there the row may be renumbered; the key
            // still finds the agent.
            Assert.Equal(cmdline.Length <= 256 ? cmdline : cmdline[..256], resolved.ResultParams["Command"]);
        }
        else
        {
            Assert.Equal(agentRow, resolved.ResolvedPath);
        }
    }
}

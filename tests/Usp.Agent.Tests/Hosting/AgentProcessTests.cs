using Usp.Agent.Hosting;
using Usp.Agent.Hosting.LocalAdmin;
using Usp.Agent.Hosting.Reboot;

namespace Usp.Agent.Tests.Hosting;

/// <summary>The built executable as scripts and systemd see it: stdout, signals, exit codes, re-execution.</summary>
public sealed class AgentProcessTests
{
    private static string[] Arguments(TempDirectory directory) =>
        ["run", "--data-dir", directory.File("var"), "--log-level", "warning", "--no-mdns", "--coap-port", "0", "--coaps-port", "0"];

    [Fact]
    public async Task Sigterm_stops_the_agent_cleanly_with_exit_code_0()
    {
        using var directory = new TempDirectory();
        using var agent = new AgentProcess(Arguments(directory));

        List<string> banner = await agent.ReadUntilAsync("usp-agent ready");
        agent.Terminate();

        Assert.Equal(0, await agent.ExitCodeAsync());
        Assert.Equal(AgentVersion.Describe(), banner[0]);
        Assert.False(File.Exists(directory.File("var/usp-agent.sock")));
    }

    [Fact]
    public async Task A_restart_re_executes_the_same_process_which_reports_the_recorded_boot_cause()
    {
        using var directory = new TempDirectory();
        using var agent = new AgentProcess(Arguments(directory));
        Assert.Contains("boot cause: LocalReboot", await agent.ReadUntilAsync("usp-agent ready"));

        LocalAdminResponse reply = await LocalAdminClient.SendAsync(
            directory.File("var/usp-agent.sock"), new LocalAdminRequest(LocalAdminVerbs.FactoryReset, [], false), CancellationToken.None);
        List<string> second = await agent.ReadUntilAsync("usp-agent ready");

        Assert.Equal(0, reply.ExitCode);
        Assert.False(agent.HasExited);
        Assert.Contains("boot cause: LocalFactoryReset", second);
        Assert.Contains(AgentVersion.Describe(), second);
        agent.Terminate();
        Assert.Equal(0, await agent.ExitCodeAsync());
    }

    [Fact]
    public async Task Under_systemd_a_restart_exits_75_after_telling_systemd_it_stops()
    {
        using var directory = new TempDirectory();
        using var systemd = new FakeNotifySocket();
        using var agent = new AgentProcess(Arguments(directory), new Dictionary<string, string> { ["NOTIFY_SOCKET"] = systemd.Address }, underSystemd: true);
        await agent.ReadUntilAsync("usp-agent ready");
        Assert.Equal(["STATUS=Starting", "READY=1"], await systemd.ReceiveAsync(2));
        Assert.StartsWith("STATUS=Ready", await systemd.ReceiveAsync(), StringComparison.Ordinal);

        await LocalAdminClient.SendAsync(
            directory.File("var/usp-agent.sock"), new LocalAdminRequest(LocalAdminVerbs.FactoryReset, [], false), CancellationToken.None);

        Assert.Equal(ExitCodes.RestartRequested, await agent.ExitCodeAsync());
        Assert.Equal(["STOPPING=1", "STATUS=Stopping"], await systemd.ReceiveAsync(2));
        using var engine = Usp.DataModel.UspEngine.Open(new Usp.DataModel.UspEngineOptions { DataDirectory = directory.File("var") });
        Assert.Equal(nameof(BootCause.LocalFactoryReset), engine.TakeBootCause()?.Cause);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Systemd_hears_ready_status_watchdog_pings_and_stopping_on_its_notify_socket(bool abstractSocket)
    {
        using var directory = new TempDirectory();
        using var systemd = new FakeNotifySocket(abstractSocket);
        using var agent = new AgentProcess(Arguments(directory), new Dictionary<string, string>
        {
            ["NOTIFY_SOCKET"] = systemd.Address,
            ["WATCHDOG_USEC"] = "400000",
        }, underSystemd: true);
        await agent.ReadUntilAsync("usp-agent ready");

        // Pings (every 200 ms here) may come between the others: the others' order is what counts.
        var pings = new List<string>();
        List<string> start = await ReceiveBesidesPingsAsync(systemd, 3, pings);
        Assert.Equal(["STATUS=Starting", "READY=1"], start[..2]);
        Assert.StartsWith("STATUS=Ready", start[2], StringComparison.Ordinal);
        while (pings.Count < 2)
        {
            pings.Add(await systemd.ReceiveAsync());
        }

        Assert.All(pings, ping => Assert.Equal("WATCHDOG=1", ping));
        agent.Terminate();

        Assert.Equal(0, await agent.ExitCodeAsync());
        Assert.Equal(["STOPPING=1", "STATUS=Stopping"], await ReceiveBesidesPingsAsync(systemd, 2, pings));
    }

    private static async Task<List<string>> ReceiveBesidesPingsAsync(FakeNotifySocket systemd, int count, List<string> pings)
    {
        var states = new List<string>();
        while (states.Count < count)
        {
            string state = await systemd.ReceiveAsync();
            (state == "WATCHDOG=1" ? pings : states).Add(state);
        }

        return states;
    }

    [Fact]
    public async Task A_bad_configuration_value_exits_78_with_the_reason_before_starting()
    {
        using var directory = new TempDirectory();
        using var agent = new AgentProcess(Arguments(directory), new Dictionary<string, string> { ["USPAGENT__Agent__Hal"] = "gpio" });

        Assert.Equal(ExitCodes.Configuration, await agent.ExitCodeAsync());
    }
}

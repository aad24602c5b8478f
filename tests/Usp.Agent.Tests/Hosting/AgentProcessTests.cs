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
        using var agent = new AgentProcess(Arguments(directory), new Dictionary<string, string>
        {
            ["NOTIFY_SOCKET"] = systemd.Address,
            ["INVOCATION_ID"] = "0123456789abcdef",
        });
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

    [Fact]
    public async Task A_bad_configuration_value_exits_78_with_the_reason_before_starting()
    {
        using var directory = new TempDirectory();
        using var agent = new AgentProcess(Arguments(directory), new Dictionary<string, string> { ["USPAGENT__Agent__Hal"] = "gpio" });

        Assert.Equal(ExitCodes.Configuration, await agent.ExitCodeAsync());
    }
}

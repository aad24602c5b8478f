using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Usp.Agent.Hosting;
using Usp.Agent.Hosting.Reboot;

namespace Usp.Agent.Tests.Hosting;

public sealed class RebootTests
{
    private static AgentOptions Options(string? rebootCommand = null) => new()
    {
        DataDir = "/tmp/x",
        FactoryDefaults = "/tmp/x/f",
        Bind = "0.0.0.0",
        RebootCommand = rebootCommand,
    };

    [Theory]
    [InlineData("reboot", false, "RunRebootCommand")]
    [InlineData("reboot", true, "RunRebootCommand")]
    [InlineData(null, true, "ExitForServiceManager")]
    [InlineData(null, false, "ReExecute")]
    public void The_restart_method_is_the_reboot_command_then_systemd_then_re_execution(string? rebootCommand, bool underSystemd, string expected)
    {
        Assert.Equal(expected, RestartPlan.Choose(Options(rebootCommand), underSystemd).ToString());
    }

    [Fact]
    public void A_restart_request_records_the_cause_plans_the_restart_and_stops_the_host()
    {
        var store = new RecordingBootCauseStore();
        var plan = new RestartPlan();
        var lifetime = new RecordingLifetime();
        var handler = new RebootHandler(store, plan, RestartMethod.ExitForServiceManager, lifetime, NullLogger<RebootHandler>.Instance);

        handler.RequestRestart(new BootRecord(BootCause.RemoteReboot, "k"));

        Assert.True(lifetime.StopRequested);
        Assert.Equal(RestartMethod.ExitForServiceManager, plan.Method);
        Assert.Equal(new BootRecord(BootCause.RemoteReboot, "k"), store.Next);
    }

    [Fact]
    public void Under_systemd_a_restart_exits_with_status_75()
    {
        Assert.Equal(75, new ProcessRestarter(TextWriter.Null, TextWriter.Null).Restart(RestartMethod.ExitForServiceManager, null, 0));
    }

    [Fact]
    public void Without_a_restart_the_exit_code_of_the_run_is_returned()
    {
        Assert.Equal(1, new ProcessRestarter(TextWriter.Null, TextWriter.Null).Restart(RestartMethod.None, null, 1));
    }

    [Fact]
    public void The_reboot_command_runs_through_the_shell()
    {
        using var directory = new TempDirectory();
        string marker = directory.File("rebooted");

        int status = new ProcessRestarter(TextWriter.Null, TextWriter.Null).Restart(RestartMethod.RunRebootCommand, $"touch '{marker}'", 0);

        Assert.Equal(0, status);
        Assert.True(File.Exists(marker));
    }

    [Fact]
    public void A_failing_reboot_command_is_reported_and_exits_1()
    {
        var error = new StringWriter();

        int status = new ProcessRestarter(TextWriter.Null, error).Restart(RestartMethod.RunRebootCommand, "exit 3", 0);

        Assert.Equal(1, status);
        Assert.Contains("exited with status 3", error.ToString(), StringComparison.Ordinal);
    }

    private sealed class RecordingLifetime : IHostApplicationLifetime
    {
        public bool StopRequested { get; private set; }

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => StopRequested = true;
    }

    private sealed class RecordingBootCauseStore : IBootCauseStore
    {
        public BootRecord CurrentBoot => BootRecord.Unrequested;

        public BootRecord? Next { get; private set; }

        public void RecordNextBoot(BootRecord next) => Next = next;
    }
}

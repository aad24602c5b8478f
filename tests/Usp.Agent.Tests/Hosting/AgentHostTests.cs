using Usp.Agent.Hosting;
using Usp.Agent.Hosting.Reboot;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.Hosting;

public sealed class AgentHostTests
{
    private const string NoMtpStatus = "STATUS=Ready: no MTP listens, no USP Records are served";

    [Fact]
    public async Task Under_systemd_the_host_reports_starting_ready_and_stopping_in_order()
    {
        using var directory = new TempDirectory();
        var systemd = new RecordingSystemdNotifier();
        var output = new StringWriter();
        using AgentHost host = AgentComposition.Compose(TestAgent.Launch(directory, output), new AgentAdditions { SystemdNotifier = systemd }).Host;

        await host.StartAsync();
        Assert.Equal(["STATUS=Starting", "READY=1", NoMtpStatus], await systemd.ReceiveAsync(3));
        await host.StopAsync();

        Assert.Equal(["STOPPING=1", "STATUS=Stopping"], await systemd.ReceiveAsync(2));
    }

    [Fact]
    public async Task With_WATCHDOG_USEC_the_host_pings_at_half_the_interval()
    {
        using var directory = new TempDirectory();
        var systemd = new RecordingSystemdNotifier();
        var time = new ManualTimeProvider();
        var environment = new Dictionary<string, string>
        {
            ["WATCHDOG_USEC"] = "20000000",
            ["WATCHDOG_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        using AgentHost host = AgentComposition.Compose(
            TestAgent.Launch(directory, new StringWriter(), environment),
            new AgentAdditions { Time = time, SystemdNotifier = systemd }).Host;

        await host.StartAsync();
        Assert.Equal(["STATUS=Starting", "READY=1", NoMtpStatus], await systemd.ReceiveAsync(3));
        await time.FirstTimerCreated;
        time.Advance(TimeSpan.FromSeconds(9.999));
        time.Advance(TimeSpan.FromSeconds(0.001));
        Assert.Equal("WATCHDOG=1", await systemd.ReceiveAsync());
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal("WATCHDOG=1", await systemd.ReceiveAsync());
        await host.StopAsync();

        Assert.Equal(["STOPPING=1", "STATUS=Stopping"], await systemd.ReceiveAsync(2));
    }

    [Fact]
    public async Task Ready_comes_once_every_MTP_listens_and_names_its_URIs()
    {
        using var directory = new TempDirectory();
        var systemd = new RecordingSystemdNotifier();
        var output = new StringWriter();
        var listener = new FakeMtpListener(new EventLog());
        using AgentHost host = AgentComposition.Compose(
            TestAgent.Launch(directory, output),
            WithListener(listener) with { SystemdNotifier = systemd }).Host;

        await host.StartAsync();
        Assert.Equal("STATUS=Starting", await systemd.ReceiveAsync());
        Assert.DoesNotContain(TestAgent.Lines(output), line => line.StartsWith("usp-agent ready", StringComparison.Ordinal));
        listener.Listen("coap://0.0.0.0:5683/usp/agent");

        Assert.Equal(["READY=1", "STATUS=Ready: listening on coap://0.0.0.0:5683/usp/agent"], await systemd.ReceiveAsync(2));
        string[] lines = TestAgent.Lines(output);
        Assert.Equal(
            ["listening: coap://0.0.0.0:5683/usp/agent", $"query it: {SelfCommand.Describe()} ctl --agent coap://127.0.0.1:5683/usp/agent get Device.DeviceInfo.", "usp-agent ready"],
            lines[^3..]);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_listener_that_cannot_listen_stops_the_agent_with_exit_code_1_before_ready()
    {
        using var directory = new TempDirectory();
        var systemd = new RecordingSystemdNotifier();
        var output = new StringWriter();
        var listener = new FakeMtpListener(new EventLog());
        ComposedAgent agent = AgentComposition.Compose(
            TestAgent.Launch(directory, output),
            WithListener(listener) with { SystemdNotifier = systemd });
        using AgentHost host = agent.Host;

        await host.StartAsync();
        listener.Fail("address in use");
        await host.WaitForShutdownAsync();

        Assert.Equal(["STATUS=Starting", "STOPPING=1", "STATUS=Stopping"], await systemd.ReceiveAsync(3));
        Assert.Equal(ExitCodes.Failure, agent.ExitCode.Value);
        Assert.DoesNotContain(TestAgent.Lines(output), line => line.StartsWith("usp-agent ready", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_banner_names_the_version_data_directory_endpoint_and_boot_cause()
    {
        using var directory = new TempDirectory();
        var output = new StringWriter();
        using AgentHost host = AgentComposition.Compose(TestAgent.Launch(
            directory, output, commandLine: new Dictionary<string, string?> { ["Agent:EndpointId"] = "proto::test-agent" })).Host;

        await host.StartAsync();
        await host.StopAsync();

        string[] lines = TestAgent.Lines(output);
        Assert.Equal(AgentVersion.Describe(), lines[0]);
        Assert.Contains($"data directory: {directory.File("var")}", lines);
        Assert.Contains("endpoint id: proto::test-agent", lines);
        Assert.Contains("boot cause: LocalReboot", lines);
        Assert.True(Directory.Exists(directory.File("var")));
    }

    [Fact]
    public async Task Without_configured_identity_the_banner_shows_the_devices_own_the_same_after_a_restart()
    {
        using var directory = new TempDirectory();
        string sysroot = directory.File("sysroot");
        WriteFile(sysroot, "sys/class/net/lo/address", "00:00:00:00:00:00");
        WriteFile(sysroot, "sys/class/net/lo/addr_assign_type", "0");
        WriteFile(sysroot, "sys/class/net/lo/type", "772");
        WriteFile(sysroot, "sys/class/net/enp1s0/address", "52:54:00:12:34:56");
        WriteFile(sysroot, "sys/class/net/enp1s0/addr_assign_type", "0");
        WriteFile(sysroot, "sys/class/net/enp1s0/ifindex", "2");
        string[] expected =
        [
            "endpoint id: os::525400-525400123456",
            "manufacturer oui: 525400 (MAC address of enp1s0)",
            "serial number: 525400123456 (MAC address of enp1s0)",
            "product class: USP-Agent",
        ];

        for (int start = 1; start <= 2; start++)
        {
            var output = new StringWriter();
            using AgentHost host = AgentComposition.Compose(TestAgent.Launch(directory, output, commandLine: new Dictionary<string, string?>
            {
                ["Agent:FactoryDefaults"] = WriteFile(directory.Path, "factory-defaults.txt", "Device.DeviceInfo.Manufacturer \"Example\"\n"),
            })).Host;
            await host.StartAsync();
            await host.StopAsync();
            string[] lines = TestAgent.Lines(output);
            Assert.All(expected, line => Assert.Contains(line, lines));
        }
    }

    [Fact]
    public async Task Configured_identity_wins_in_the_banner()
    {
        using var directory = new TempDirectory();
        var output = new StringWriter();
        using AgentHost host = AgentComposition.Compose(TestAgent.Launch(directory, output, environment: new Dictionary<string, string>
        {
            ["USPAGENT__Agent__ManufacturerOui"] = "00d09e",
            ["USPAGENT__Agent__SerialNumber"] = "SN-42",
        })).Host;

        await host.StartAsync();
        await host.StopAsync();

        string[] lines = TestAgent.Lines(output);
        Assert.Contains("endpoint id: os::00D09E-SN-42", lines);
        Assert.Contains("manufacturer oui: 00D09E (configuration)", lines);
        Assert.Contains("serial number: SN-42 (configuration)", lines);
    }

    private static string WriteFile(string root, string relative, string content)
    {
        string path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content + "\n");
        return path;
    }

    [Fact]
    public async Task Stopping_flushes_shutdown_participants_after_the_MTPs_have_stopped()
    {
        using var directory = new TempDirectory();
        var log = new EventLog();
        var listener = new FakeMtpListener(log);
        using AgentHost host = AgentComposition.Compose(
            TestAgent.Launch(directory, new StringWriter()),
            new AgentAdditions
            {
                Services = (services, _) =>
                {
                    services.AddMtpListener(listener);
                    services.AddShutdownParticipant(new RecordingParticipant(log));
                },
            }).Host;

        await host.StartAsync();
        listener.Listen();
        await host.StopAsync();

        Assert.Equal(["listener stopped", "database flushed"], log.Events);
    }

    [Fact]
    public async Task Stopping_stops_the_services_in_the_reverse_of_their_start_order()
    {
        using var directory = new TempDirectory();
        var log = new EventLog();
        using AgentHost host = AgentComposition.Compose(
            TestAgent.Launch(directory, new StringWriter()),
            new AgentAdditions
            {
                Services = (services, _) =>
                {
                    services.AddHostedService(new RecordingService("first", log));
                    services.AddHostedService(new RecordingService("second", log));
                },
            }).Host;

        await host.StartAsync();
        await host.StopAsync();

        Assert.Equal(["first started", "second started", "second stopped", "first stopped"], log.Events);
    }

    [Theory]
    [InlineData(true, "Systemd")]
    [InlineData(false, "Simple")]
    public void Logs_use_the_journald_format_only_under_systemd(bool underSystemd, string expectedFormat)
    {
        using var directory = new TempDirectory();
        ComposedAgent agent = AgentComposition.Compose(
            TestAgent.Launch(directory, new StringWriter()), new AgentAdditions { IsSystemdService = underSystemd });
        using AgentHost host = agent.Host;

        Assert.Equal(expectedFormat, agent.Log.Format.ToString());
    }

    [Fact]
    public void The_host_gives_services_five_seconds_to_stop()
    {
        using var directory = new TempDirectory();
        using AgentHost host = AgentComposition.Compose(TestAgent.Launch(directory, new StringWriter())).Host;

        Assert.Equal(TimeSpan.FromSeconds(5), host.ShutdownTimeout);
    }

    private static AgentAdditions WithListener(FakeMtpListener listener) =>
        new() { Services = (services, _) => services.AddMtpListener(listener) };

    private sealed class RecordingParticipant(EventLog log) : IShutdownParticipant
    {
        public string Name => "database";

        public Task FlushAsync(CancellationToken cancellationToken)
        {
            log.Add("database flushed");
            return Task.CompletedTask;
        }
    }

    private sealed class RecordingService(string name, EventLog log) : Microsoft.Extensions.Hosting.IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            log.Add($"{name} started");
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            log.Add($"{name} stopped");
            return Task.CompletedTask;
        }
    }
}

using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Usp.Agent.Hosting;
using Usp.Agent.Hosting.LocalAdmin;
using Usp.Agent.Hosting.Reboot;

namespace Usp.Agent.Tests.Hosting;

public sealed class LocalAdminServerTests
{
    [Fact]
    public async Task A_request_reaches_the_handler_and_its_response_comes_back()
    {
        using var directory = new TempDirectory();
        var handler = new RecordingHandler(new LocalAdminResponse(0, true, """{"Device.DeviceInfo.SerialNumber":"42"}"""));
        using LocalAdminServer server = Server(directory, handler, new RecordingReboot());
        await server.StartAsync(CancellationToken.None);

        LocalAdminResponse response = await LocalAdminClient.SendAsync(
            directory.File("usp-agent.sock"), new LocalAdminRequest("get", ["Device.DeviceInfo.SerialNumber"], true), CancellationToken.None);
        await server.StopAsync(CancellationToken.None);

        Assert.Equal(new LocalAdminRequest("get", ["Device.DeviceInfo.SerialNumber"], true), handler.Received);
        Assert.Equal(new LocalAdminResponse(0, true, """{"Device.DeviceInfo.SerialNumber":"42"}"""), response);
    }

    [Fact]
    public async Task A_handler_refusal_reaches_the_client_with_its_exit_code_and_reason()
    {
        using var directory = new TempDirectory();
        using LocalAdminServer server = Server(directory, new UnavailableAdminHandler(), new RecordingReboot());
        await server.StartAsync(CancellationToken.None);

        LocalAdminResponse response = await LocalAdminClient.SendAsync(
            directory.File("usp-agent.sock"), new LocalAdminRequest("get", ["Device."], false), CancellationToken.None);
        await server.StopAsync(CancellationToken.None);

        Assert.Equal(ExitCodes.Unavailable, response.ExitCode);
        Assert.Contains(UnavailableAdminHandler.Message, response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Factory_reset_answers_then_restarts_with_cause_LocalFactoryReset()
    {
        using var directory = new TempDirectory();
        var reboot = new RecordingReboot();
        using LocalAdminServer server = Server(directory, new UnavailableAdminHandler(), reboot);
        await server.StartAsync(CancellationToken.None);

        LocalAdminResponse response = await LocalAdminClient.SendAsync(
            directory.File("usp-agent.sock"), new LocalAdminRequest(LocalAdminVerbs.FactoryReset, [], false), CancellationToken.None);
        await server.StopAsync(CancellationToken.None);

        Assert.Equal(0, response.ExitCode);
        Assert.Equal(new BootRecord(BootCause.LocalFactoryReset, ""), reboot.Requested);
    }

    [Fact]
    public async Task The_socket_is_for_the_agent_user_only_and_removed_on_stop()
    {
        using var directory = new TempDirectory();
        string path = directory.File("usp-agent.sock");
        using LocalAdminServer server = Server(directory, new UnavailableAdminHandler(), new RecordingReboot());

        await server.StartAsync(CancellationToken.None);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        await server.StopAsync(CancellationToken.None);

        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task A_data_directory_removed_under_the_running_agent_does_not_fail_its_stop()
    {
        using var directory = new TempDirectory();
        using LocalAdminServer server = Server(directory, new UnavailableAdminHandler(), new RecordingReboot());
        await server.StartAsync(CancellationToken.None);

        Directory.Delete(directory.Path, recursive: true);

        await server.StopAsync(CancellationToken.None);
        Assert.False(Directory.Exists(directory.Path));
    }

    [Fact]
    public async Task A_stale_socket_file_left_by_a_dead_agent_is_replaced()
    {
        using var directory = new TempDirectory();
        string path = directory.File("usp-agent.sock");
        using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            dead.Bind(new UnixDomainSocketEndPoint(path));
        }

        using LocalAdminServer server = Server(directory, new UnavailableAdminHandler(), new RecordingReboot());
        await server.StartAsync(CancellationToken.None);
        LocalAdminResponse response = await LocalAdminClient.SendAsync(path, new LocalAdminRequest("get", ["Device."], false), CancellationToken.None);
        await server.StopAsync(CancellationToken.None);

        Assert.Equal(ExitCodes.Unavailable, response.ExitCode);
    }

    [Fact]
    public async Task A_second_agent_on_the_same_data_directory_is_refused_and_leaves_the_first_one_serving()
    {
        using var directory = new TempDirectory();
        using LocalAdminServer first = Server(directory, new UnavailableAdminHandler(), new RecordingReboot());
        using LocalAdminServer second = Server(directory, new UnavailableAdminHandler(), new RecordingReboot());
        await first.StartAsync(CancellationToken.None);

        var error = await Assert.ThrowsAsync<AgentConfigurationException>(() => second.StartAsync(CancellationToken.None));
        await second.StopAsync(CancellationToken.None);
        LocalAdminResponse stillServed = await LocalAdminClient.SendAsync(
            directory.File("usp-agent.sock"), new LocalAdminRequest("get", ["Device."], false), CancellationToken.None);
        await first.StopAsync(CancellationToken.None);

        Assert.Contains("already running", error.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Unavailable, stillServed.ExitCode);
        Assert.Contains(UnavailableAdminHandler.Message, stillServed.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_finds_no_agent_when_none_runs()
    {
        using var directory = new TempDirectory();

        LocalAdminResponse response = await LocalAdminClient.SendAsync(
            directory.File("usp-agent.sock"), new LocalAdminRequest("get", ["Device."], false), CancellationToken.None);

        Assert.Equal(ExitCodes.Unavailable, response.ExitCode);
        Assert.Contains("no usp-agent answers", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_data_directory_too_deep_for_a_Unix_socket_is_a_configuration_error_that_says_so()
    {
        using var directory = new TempDirectory();
        string deep = Path.Combine(directory.Path, new string('d', 120));
        using LocalAdminServer server = new(Path.Combine(deep, "usp-agent.sock"), new LocalAdminDispatcher(new UnavailableAdminHandler(), new RecordingReboot()), NullLogger<LocalAdminServer>.Instance);

        var error = await Assert.ThrowsAsync<AgentConfigurationException>(() => server.StartAsync(CancellationToken.None));
        LocalAdminResponse client = await LocalAdminClient.SendAsync(Path.Combine(deep, "usp-agent.sock"), new LocalAdminRequest("get", ["Device."], false), CancellationToken.None);

        Assert.Contains("shorter --data-dir", error.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Configuration, client.ExitCode);
    }

    [Fact]
    public async Task An_unknown_verb_is_a_usage_error()
    {
        using var directory = new TempDirectory();
        using LocalAdminServer server = Server(directory, new UnavailableAdminHandler(), new RecordingReboot());
        await server.StartAsync(CancellationToken.None);

        LocalAdminResponse response = await LocalAdminClient.SendAsync(
            directory.File("usp-agent.sock"), new LocalAdminRequest("format-disk", [], false), CancellationToken.None);
        await server.StopAsync(CancellationToken.None);

        Assert.Equal(ExitCodes.Usage, response.ExitCode);
    }

    private static LocalAdminServer Server(TempDirectory directory, ILocalAdminHandler handler, IRebootHandler reboot) =>
        new(directory.File("usp-agent.sock"), new LocalAdminDispatcher(handler, reboot), NullLogger<LocalAdminServer>.Instance);

    private sealed class RecordingHandler(LocalAdminResponse response) : ILocalAdminHandler
    {
        public LocalAdminRequest? Received { get; private set; }

        public Task<LocalAdminResponse> HandleAsync(LocalAdminRequest request, CancellationToken cancellationToken)
        {
            Received = request;
            return Task.FromResult(response);
        }
    }

    internal sealed class RecordingReboot : IRebootHandler
    {
        public BootRecord? Requested { get; private set; }

        public void RequestRestart(BootRecord nextBoot) => Requested = nextBoot;
    }
}

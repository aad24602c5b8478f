using Microsoft.Extensions.Logging.Abstractions;
using Usp.Agent.Hosting;
using Usp.Agent.Hosting.LocalAdmin;
using Usp.Agent.Tests.Hosting;

namespace Usp.Agent.Tests.Cli;

public sealed class AdminVerbTests
{
    [Theory]
    [InlineData(new[] { "get", "Device.DeviceInfo.", "Device.LocalAgent.EndpointID" }, "get", new[] { "Device.DeviceInfo.", "Device.LocalAgent.EndpointID" })]
    [InlineData(new[] { "set", "Device.LocalAgent.Alias=a=b" }, "set", new[] { "Device.LocalAgent.Alias=a=b" })]
    [InlineData(new[] { "add", "Device.LocalAgent.Controller.", "Alias=c1", "Enable=true" }, "add", new[] { "Device.LocalAgent.Controller.", "Alias=c1", "Enable=true" })]
    [InlineData(new[] { "add", "Device.LocalAgent.Controller." }, "add", new[] { "Device.LocalAgent.Controller." })]
    [InlineData(new[] { "delete", "Device.LocalAgent.Controller.1." }, "delete", new[] { "Device.LocalAgent.Controller.1." })]
    [InlineData(new[] { "operate", "Device.Reboot()" }, "operate", new[] { "Device.Reboot()" })]
    [InlineData(new[] { "operate", "Device.IP.Diag.Ping()", "Host=10.0.0.1" }, "operate", new[] { "Device.IP.Diag.Ping()", "Host=10.0.0.1" })]
    [InlineData(new[] { "instances", "Device.LocalAgent.", "--first-level-only" }, "instances", new[] { "Device.LocalAgent.", "--first-level-only" })]
    [InlineData(new[] { "supported-dm", "Device." }, "supported-dm", new[] { "Device." })]
    public async Task A_data_model_verb_sends_its_arguments_to_the_agent_and_prints_the_answer(string[] args, string verb, string[] sent)
    {
        using var directory = new TempDirectory();
        var handler = new AnsweringHandler();
        using LocalAdminServer server = new(directory.File("usp-agent.sock"), new LocalAdminDispatcher(handler, new LocalAdminServerTests.RecordingReboot()), NullLogger<LocalAdminServer>.Instance);
        await server.StartAsync(CancellationToken.None);
        var cli = new CommandLineHarness();

        int status = await cli.InvokeAsync([.. args, "--data-dir", directory.Path]);
        await server.StopAsync(CancellationToken.None);

        Assert.Equal(0, status);
        Assert.Equal(new LocalAdminRequest(verb, sent, false), handler.Received);
        Assert.Equal("answer from the test handler" + Environment.NewLine, cli.Output.ToString());
    }

    [Fact]
    public async Task Json_is_asked_for_with_the_json_option()
    {
        using var directory = new TempDirectory();
        var handler = new AnsweringHandler();
        using LocalAdminServer server = new(directory.File("usp-agent.sock"), new LocalAdminDispatcher(handler, new LocalAdminServerTests.RecordingReboot()), NullLogger<LocalAdminServer>.Instance);
        await server.StartAsync(CancellationToken.None);

        await new CommandLineHarness().InvokeAsync("get", "Device.", "--json", "--data-dir", directory.Path);
        await server.StopAsync(CancellationToken.None);

        Assert.True(handler.Received?.Json);
    }

    [Fact]
    public async Task Without_the_engine_a_verb_exits_69_with_the_reason_on_stderr()
    {
        using var directory = new TempDirectory();
        using LocalAdminServer server = new(directory.File("usp-agent.sock"), new LocalAdminDispatcher(new UnavailableAdminHandler(), new LocalAdminServerTests.RecordingReboot()), NullLogger<LocalAdminServer>.Instance);
        await server.StartAsync(CancellationToken.None);
        var cli = new CommandLineHarness();

        int status = await cli.InvokeAsync("get", "Device.DeviceInfo.", "--data-dir", directory.Path);
        await server.StopAsync(CancellationToken.None);

        Assert.Equal(ExitCodes.Unavailable, status);
        Assert.Contains(UnavailableAdminHandler.Message, cli.Error.ToString(), StringComparison.Ordinal);
        Assert.Empty(cli.Output.ToString());
    }

    [Fact]
    public async Task With_no_agent_running_a_verb_exits_69_and_names_the_socket()
    {
        using var directory = new TempDirectory();
        var cli = new CommandLineHarness();

        int status = await cli.InvokeAsync("factory-reset", "--data-dir", directory.Path);

        Assert.Equal(ExitCodes.Unavailable, status);
        Assert.Contains(directory.File("usp-agent.sock"), cli.Error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("get")]
    [InlineData("get", "DeviceInfo.")]
    [InlineData("set", "Device.LocalAgent.Alias")]
    [InlineData("set", "Device.LocalAgent.=x")]
    [InlineData("add", "Device.LocalAgent.Controller")]
    [InlineData("add", "Device.LocalAgent.Controller.", "Alias")]
    [InlineData("delete")]
    [InlineData("operate", "Device.Reboot")]
    [InlineData("instances", "Device.LocalAgent")]
    [InlineData("factory-reset", "now")]
    public async Task A_malformed_verb_is_a_usage_error_and_nothing_is_sent(params string[] args)
    {
        var cli = new CommandLineHarness();

        Assert.Equal(ExitCodes.Usage, await cli.InvokeAsync(args));

        Assert.NotEmpty(cli.Error.ToString());
    }

    private sealed class AnsweringHandler : ILocalAdminHandler
    {
        public LocalAdminRequest? Received { get; private set; }

        public Task<LocalAdminResponse> HandleAsync(LocalAdminRequest request, CancellationToken cancellationToken)
        {
            Received = request;
            return Task.FromResult(LocalAdminResponse.Text(0, "answer from the test handler"));
        }
    }
}

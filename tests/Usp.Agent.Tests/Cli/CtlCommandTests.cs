using Usp.Agent.Cli;
using Usp.Agent.Hosting;

namespace Usp.Agent.Tests.Cli;

public sealed class CtlCommandTests
{
    [Theory]
    [InlineData("ctl", "--agent", "coaps://[fd00::1]:5684/e/os::gw", "--from", "proto::ctl-1", "operate", "Device.Reboot()")]
    [InlineData("ctl", "--agent", "coaps://127.0.0.1:5684/e/os::gw", "--cert", "c.pem", "--key", "c.key", "get", "Device.")]
    public async Task Ctl_over_coaps_without_all_three_certificate_files_is_a_usage_error(params string[] args)
    {
        var cli = new CommandLineHarness();

        Assert.Equal(ExitCodes.Usage, await cli.InvokeAsync(args));

        Assert.Contains("coaps:// needs --cert, --key and --trust-store", cli.Error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Certificate_files_with_coap_are_a_usage_error()
    {
        var cli = new CommandLineHarness();

        Assert.Equal(ExitCodes.Usage, await cli.InvokeAsync("ctl", "--agent", "coap://127.0.0.1:5683/e/os::gw", "--cert", "c.pem", "--key", "c.key", "--trust-store", "ca.pem", "get", "Device."));

        Assert.Contains("are for coaps:// only", cli.Error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_certificate_file_is_a_configuration_error_naming_the_option_and_file()
    {
        var cli = new CommandLineHarness();
        string missing = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}.pem");

        Assert.Equal(ExitCodes.Configuration, await cli.InvokeAsync("ctl", "--agent", "coaps://127.0.0.1:5684/e/os::gw", "--cert", missing, "--key", missing, "--trust-store", missing, "get", "Device."));

        Assert.Contains("--cert", cli.Error.ToString(), StringComparison.Ordinal);
        Assert.Contains(missing, cli.Error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ctl", "--agent", "coap://127.0.0.1:5683/usp/agent", "get", "Device.DeviceInfo.")]
    [InlineData("ctl", "get", "Device.", "--agent", "coap://gw.local:5683/usp")]
    public async Task Ctl_needs_to_when_the_agent_path_does_not_name_the_EndpointID(params string[] args)
    {
        var cli = new CommandLineHarness();

        Assert.Equal(ExitCodes.Usage, await cli.InvokeAsync(args));

        Assert.Contains("give it with --to", cli.Error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("coap://127.0.0.1:5683/e/os::012345-gw", "os::012345-gw")]
    [InlineData("coap://[::1]/e/self::usp-agent-1", "self::usp-agent-1")]
    [InlineData("coap://127.0.0.1:5683/usp/agent", null)]
    [InlineData("coap://127.0.0.1:5683/e/a/b", null)]
    public void The_agent_EndpointID_comes_from_an_e_path(string uri, string? expected) =>
        Assert.Equal(expected, CtlClient.EndpointIdFromPath(new Uri(uri)));

    [Theory]
    [InlineData("ctl", "get", "Device.")]
    [InlineData("ctl", "--agent", "http://127.0.0.1/usp", "get", "Device.")]
    [InlineData("ctl", "--agent", "coap://127.0.0.1:5683", "get", "Device.")]
    [InlineData("ctl", "--agent", "not a uri", "get", "Device.")]
    [InlineData("ctl", "--agent", "coap://127.0.0.1:5683/usp", "--from", "ctl", "get", "Device.")]
    [InlineData("ctl", "--agent", "coap://127.0.0.1:5683/usp", "--listen", "70000", "get", "Device.")]
    [InlineData("ctl", "--agent", "coap://127.0.0.1:5683/usp", "set", "Device.X")]
    [InlineData("ctl", "--agent", "coap://127.0.0.1:5683/usp")]
    public async Task A_malformed_ctl_request_is_a_usage_error(params string[] args)
    {
        var cli = new CommandLineHarness();

        Assert.Equal(ExitCodes.Usage, await cli.InvokeAsync(args));

        Assert.DoesNotContain("not available in this build", cli.Error.ToString(), StringComparison.Ordinal);
    }
}

using Usp.Agent.Hosting;

namespace Usp.Agent.Tests.Cli;

public sealed class CtlCommandTests
{
    [Theory]
    [InlineData("ctl", "--agent", "coap://127.0.0.1:5683/usp/agent", "get", "Device.DeviceInfo.")]
    [InlineData("ctl", "--agent", "coaps://[fd00::1]:5684/e/os::gw", "--from", "proto::ctl-1", "--listen", "5690", "--json", "operate", "Device.Reboot()")]
    [InlineData("ctl", "get", "Device.", "--agent", "coap://gw.local:5683/usp")]
    public async Task A_valid_ctl_request_is_refused_with_69_because_this_build_has_no_CoAP_MTP(params string[] args)
    {
        var cli = new CommandLineHarness();

        Assert.Equal(ExitCodes.Unavailable, await cli.InvokeAsync(args));

        Assert.Contains("the USP CoAP MTP is not available in this build", cli.Error.ToString(), StringComparison.Ordinal);
    }

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

using Usp.Agent.Hosting;

namespace Usp.Agent.Tests.Cli;

public sealed class RunCommandTests
{
    [Fact]
    public async Task Version_prints_the_product_and_USP_versions_and_does_not_run_the_agent()
    {
        var cli = new CommandLineHarness();

        int status = await cli.InvokeAsync("--version");

        Assert.Equal(0, status);
        Assert.Null(cli.Ran);
        Assert.Matches(@"^usp-agent \d+\.\d+\.\d+ \(USP 1\.3,1\.4\)\r?\n$", cli.Output.ToString());
    }

    [Theory]
    [InlineData]
    [InlineData("run")]
    public async Task Without_options_the_agent_runs_on_its_configured_defaults(params string[] args)
    {
        var cli = new CommandLineHarness();

        Assert.Equal(0, await cli.InvokeAsync(args));

        Assert.NotNull(cli.Ran);
        Assert.Null(cli.Ran.ConfigFile);
        Assert.Empty(cli.Ran.ConfigurationOverrides);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_run_option_maps_onto_its_configuration_key(bool explicitRun)
    {
        var cli = new CommandLineHarness();
        string[] options =
        [
            "--config", "/etc/other.json", "--data-dir", "/srv/agent", "--endpoint-id", "proto::gw", "--factory-defaults", "/srv/f.txt",
            "--coap-port", "0", "--coaps-port", "5684", "--bind", "::", "--hal", "linux", "--no-mdns", "--log-level", "debug",
        ];

        Assert.Equal(0, await cli.InvokeAsync(explicitRun ? ["run", .. options] : options));

        Assert.NotNull(cli.Ran);
        Assert.Equal("/etc/other.json", cli.Ran.ConfigFile);
        Assert.Equal(
            new Dictionary<string, string?>
            {
                ["Agent:DataDir"] = "/srv/agent",
                ["Agent:EndpointId"] = "proto::gw",
                ["Agent:FactoryDefaults"] = "/srv/f.txt",
                ["Agent:CoapPort"] = "0",
                ["Agent:CoapsPort"] = "5684",
                ["Agent:Bind"] = "::",
                ["Agent:Hal"] = "linux",
                ["Agent:Mdns"] = "false",
                ["Agent:LogLevel"] = "debug",
            },
            cli.Ran.ConfigurationOverrides);
    }

    [Theory]
    [InlineData("--coap-port", "65536")]
    [InlineData("--coaps-port", "-1")]
    [InlineData("--coap-port", "http")]
    [InlineData("--hal", "gpio")]
    [InlineData("--bind", "gateway.local")]
    [InlineData("--endpoint-id", "gateway")]
    [InlineData("--log-level", "verbose")]
    [InlineData("--frobnicate", "1")]
    public async Task An_invalid_run_option_is_a_usage_error_and_the_agent_does_not_start(string option, string value)
    {
        var cli = new CommandLineHarness();

        Assert.Equal(ExitCodes.Usage, await cli.InvokeAsync(option, value));

        Assert.Null(cli.Ran);
        Assert.NotEmpty(cli.Error.ToString());
    }

    [Fact]
    public async Task Help_lists_the_commands_scripts_rely_on()
    {
        var cli = new CommandLineHarness();

        Assert.Equal(0, await cli.InvokeAsync("--help"));

        string help = cli.Output.ToString();
        foreach (string word in new[] { "run", "get", "set", "add", "delete", "operate", "instances", "supported-dm", "factory-reset", "ctl", "--data-dir", "--coap-port", "--no-mdns" })
        {
            Assert.Contains(word, help, StringComparison.Ordinal);
        }

        Assert.Null(cli.Ran);
    }
}

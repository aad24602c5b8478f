using Microsoft.Extensions.Logging;
using Usp.Agent.Hosting;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.Hosting;

public sealed class AgentConfigurationTests
{
    private static AgentLaunch Launch(
        TempDirectory directory,
        string? configFile = null,
        Dictionary<string, string>? environment = null,
        Dictionary<string, string?>? commandLine = null) => new()
        {
            ConfigFile = configFile,
            ReadDefaultConfigFile = false,
            Environment = environment ?? [],
            CommandLine = commandLine ?? [],
            Output = TextWriter.Null,
            CurrentDirectory = directory.Path,
            ExecutableDirectory = directory.Path,
        };

    [Fact]
    public void The_embedded_defaults_run_the_agent_from_the_current_directory()
    {
        using var directory = new TempDirectory();

        AgentOptions options = AgentComposition.ReadOptions(Launch(directory));

        Assert.Equal(directory.File("var"), options.DataDir);
        Assert.Null(options.EndpointId);
        Assert.Equal(directory.File("deploy/factory-defaults.txt"), options.FactoryDefaults);
        Assert.Equal(5683, options.CoapPort);
        Assert.Equal(5684, options.CoapsPort);
        Assert.Equal("0.0.0.0", options.Bind);
        Assert.Equal(HalKind.Simulated, options.Hal);
        Assert.True(options.Mdns);
        Assert.Equal(LogLevel.Information, options.LogLevel);
        Assert.Null(options.RebootCommand);
        Assert.Equal(directory.File("var/usp-agent.sock"), options.AdminSocketPath);
    }

    [Theory]
    [InlineData(false, false, false, 5683)]
    [InlineData(true, false, false, 1001)]
    [InlineData(true, true, false, 1002)]
    [InlineData(true, true, true, 1003)]
    [InlineData(false, true, true, 1003)]
    [InlineData(false, false, true, 1003)]
    public void Later_sources_win_defaults_then_file_then_environment_then_command_line(bool file, bool environment, bool commandLine, int expectedPort)
    {
        using var directory = new TempDirectory();
        string config = directory.File("agent.json");
        File.WriteAllText(config, """{ "Agent": { "CoapPort": 1001, "Hal": "linux" } }""");

        AgentOptions options = AgentComposition.ReadOptions(Launch(
            directory,
            file ? config : null,
            environment ? new() { ["USPAGENT__Agent__CoapPort"] = "1002" } : null,
            commandLine ? new() { ["Agent:CoapPort"] = "1003" } : null));

        Assert.Equal(expectedPort, options.CoapPort);
        Assert.Equal(file ? HalKind.Linux : HalKind.Simulated, options.Hal);
    }

    [Fact]
    public void USP_ENDPOINT_ID_sets_the_endpoint_id_and_USPAGENT_variables_override_it()
    {
        using var directory = new TempDirectory();

        Assert.Equal("os::gw-1", AgentComposition.ReadOptions(Launch(directory, environment: new() { ["USP_ENDPOINT_ID"] = "os::gw-1" })).EndpointId);
        Assert.Equal("os::gw-2", AgentComposition.ReadOptions(Launch(directory, environment: new()
        {
            ["USP_ENDPOINT_ID"] = "os::gw-1",
            ["USPAGENT__Agent__EndpointId"] = "os::gw-2",
        })).EndpointId);
    }

    [Fact]
    public void A_missing_config_file_given_explicitly_is_an_error_that_names_it()
    {
        using var directory = new TempDirectory();
        string missing = directory.File("nope.json");

        var error = Assert.Throws<AgentConfigurationException>(() => AgentComposition.ReadOptions(Launch(directory, missing)));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_file_that_is_not_JSON_is_an_error_that_names_it()
    {
        using var directory = new TempDirectory();
        string broken = directory.File("broken.json");
        File.WriteAllText(broken, """{ "Agent": { "CoapPort": 5683, """);

        var error = Assert.Throws<AgentConfigurationException>(() => AgentComposition.ReadOptions(Launch(directory, broken)));

        Assert.Contains($"{broken} is not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CoapPort", "70000", "Agent:CoapPort")]
    [InlineData("CoapsPort", "-1", "Agent:CoapsPort")]
    [InlineData("Hal", "gpio", "simulated or linux")]
    [InlineData("Bind", "localhost", "IPv4 or IPv6")]
    [InlineData("EndpointId", "no-separator", "authority-scheme")]
    [InlineData("EndpointId", "foo::x", "'foo' is not a TR-369 authority-scheme")]
    [InlineData("ManufacturerOui", "00D09", "six hex digits")]
    [InlineData("ManufacturerOui", "00:D0:9E", "six hex digits")]
    [InlineData("SerialNumber", "0123456789012345678901234567890123456789012345678901234567890123456789", "at most 64")]
    [InlineData("Mdns", "maybe", "true or false")]
    [InlineData("LogLevel", "loud", "information")]
    public void An_invalid_value_is_rejected_with_the_key_and_what_is_expected(string key, string value, string expectedInMessage)
    {
        using var directory = new TempDirectory();

        var error = Assert.Throws<AgentConfigurationException>(() =>
            AgentComposition.ReadOptions(Launch(directory, environment: new() { [$"USPAGENT__Agent__{key}"] = value })));

        Assert.Contains(expectedInMessage, error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_device_identity_can_be_configured_and_a_lower_case_OUI_is_upper_cased()
    {
        using var directory = new TempDirectory();

        AgentOptions options = AgentComposition.ReadOptions(Launch(directory, environment: new()
        {
            ["USPAGENT__Agent__ManufacturerOui"] = "00d09e",
            ["USPAGENT__Agent__SerialNumber"] = "SN-42",
            ["USPAGENT__Agent__ProductClass"] = "Sensor",
        }));

        Assert.Equal(("00D09E", "SN-42", "Sensor"), (options.ManufacturerOui, options.SerialNumber, options.ProductClass));
    }

    [Fact]
    public void The_installed_configuration_file_is_valid_and_describes_a_gateway()
    {
        using var directory = new TempDirectory();
        string shipped = Path.Combine(RepoPaths.Root, "deploy", "usp-agent.json");

        AgentOptions options = AgentComposition.ReadOptions(Launch(directory, shipped));

        Assert.Equal("/var/lib/usp-agent", options.DataDir);
        Assert.Equal("/run/usp-agent/usp-agent.sock", options.AdminSocketPath);
        Assert.Equal("/usr/share/usp-agent/factory-defaults.txt", options.FactoryDefaults);
        Assert.Equal(HalKind.Linux, options.Hal);
    }

    [Fact]
    public void Under_systemd_the_state_and_runtime_directories_win_over_the_file()
    {
        using var directory = new TempDirectory();
        string shipped = Path.Combine(RepoPaths.Root, "deploy", "usp-agent.json");

        AgentOptions options = AgentComposition.ReadOptions(Launch(directory, shipped, new()
        {
            ["STATE_DIRECTORY"] = "/srv/state/usp-agent",
            ["RUNTIME_DIRECTORY"] = "/run/other/usp-agent:/run/second",
        }));

        Assert.Equal("/srv/state/usp-agent", options.DataDir);
        Assert.Equal("/run/other/usp-agent/usp-agent.sock", options.AdminSocketPath);
    }

    [Fact]
    public void An_option_or_variable_still_wins_over_the_systemd_directories()
    {
        using var directory = new TempDirectory();

        AgentOptions options = AgentComposition.ReadOptions(Launch(
            directory,
            environment: new() { ["STATE_DIRECTORY"] = "/srv/state", ["USPAGENT__Agent__AdminSocket"] = "admin.sock" },
            commandLine: new() { ["Agent:DataDir"] = "/data" }));

        Assert.Equal("/data", options.DataDir);
        Assert.Equal(directory.File("admin.sock"), options.AdminSocketPath);
    }

    [Fact]
    public void Under_systemd_the_configuration_file_is_read_from_CONFIGURATION_DIRECTORY()
    {
        using var directory = new TempDirectory();
        Directory.CreateDirectory(directory.File("etc"));
        File.WriteAllText(directory.File("etc/usp-agent.json"), """{ "Agent": { "CoapPort": 1234 } }""");
        AgentLaunch launch = Launch(directory, environment: new() { ["CONFIGURATION_DIRECTORY"] = directory.File("etc") }) with { ReadDefaultConfigFile = true };

        Assert.Equal(1234, AgentComposition.ReadOptions(launch).CoapPort);
    }
}

public sealed class JsonConfigurationReaderTests
{
    [Fact]
    public void Nested_objects_and_arrays_flatten_to_section_keys_with_comments_and_trailing_commas_allowed()
    {
        var keys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

        JsonConfigurationReader.Read(
            """
            // the gateway
            { "Agent": { "CoapPort": 5683, "Mdns": false, "Hal": "linux", "Empty": null, "List": [ "a", { "B": 1 } ], }, }
            """u8,
            keys);

        Assert.Equal("5683", keys["agent:coapport"]);
        Assert.Equal("false", keys["Agent:Mdns"]);
        Assert.Equal("linux", keys["Agent:Hal"]);
        Assert.Null(keys["Agent:Empty"]);
        Assert.Equal("a", keys["Agent:List:0"]);
        Assert.Equal("1", keys["Agent:List:1:B"]);
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("""{ "Agent": { "CoapPort": 1, "coapport": 2 } }""")]
    [InlineData("")]
    public void A_document_that_is_not_an_object_or_repeats_a_key_is_rejected(string json)
    {
        Assert.ThrowsAny<System.Text.Json.JsonException>(() =>
            JsonConfigurationReader.Read(System.Text.Encoding.UTF8.GetBytes(json), new Dictionary<string, string?>()));
    }
}

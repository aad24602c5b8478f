using Usp.Agent.Tests.Hosting;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>With no agent running on the data directory, the data-model verbs and factory-reset work on its database directly.</summary>
public sealed class OfflineAdministrationTests
{
    [Fact]
    public async Task Without_a_running_agent_set_get_and_factory_reset_work_on_the_database()
    {
        using var directory = new TempDirectory();
        string dataDir = directory.File("var");

        var set = await AgentProcess.CliAsync("set", "Device.DeviceInfo.FriendlyName=offline-1", "--data-dir", dataDir);
        Assert.True(set.ExitCode == 0, set.Error);
        Assert.Contains("Device.DeviceInfo.FriendlyName = offline-1", set.Output);

        var get = await AgentProcess.CliAsync("get", "Device.DeviceInfo.FriendlyName", "--data-dir", dataDir, "--json");
        Assert.True(get.ExitCode == 0, get.Error);
        Assert.Equal("offline-1", (string?)System.Text.Json.Nodes.JsonNode.Parse(get.Output)!["get"]![0]!["values"]!["Device.DeviceInfo.FriendlyName"]);

        var reset = await AgentProcess.CliAsync("factory-reset", "--data-dir", dataDir);
        Assert.True(reset.ExitCode == 0, reset.Error);

        var after = await AgentProcess.CliAsync("get", "Device.DeviceInfo.FriendlyName", "--data-dir", dataDir);
        Assert.Equal("Device.DeviceInfo.FriendlyName =", after.Output.Trim());
        Assert.False(File.Exists(Path.Combine(dataDir, "usp-agent.sock")), "the command leaves no socket behind");
    }

    [Fact]
    public async Task Without_a_running_agent_a_USP_error_exits_1_with_the_reason()
    {
        using var directory = new TempDirectory();

        var get = await AgentProcess.CliAsync("get", "Device.NoSuchObject.", "--data-dir", directory.File("var"));

        Assert.Equal(1, get.ExitCode);
        Assert.Contains("Device.NoSuchObject.: error 7", get.Error);
    }
}

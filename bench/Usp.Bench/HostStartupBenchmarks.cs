using Usp.Agent;
using BenchmarkDotNet.Attributes;
using Usp.Agent.Hosting;

namespace Usp.Bench;

/// <summary>
/// In-process cost of the agent's host: building it, and building + starting + stopping it (configuration,
/// logging, the admin socket). Exec-to-ready time and resident memory of the published binary are
/// measured by bench/measure-startup.sh instead. In-process: the generated benchmark project does not see
/// the agent's transitive packages.
/// </summary>
[MemoryDiagnoser]
[InProcess]
public class HostStartupBenchmarks
{
    private string _directory = "";

    [GlobalSetup]
    public void Setup() => _directory = Directory.CreateTempSubdirectory("ua-bench-").FullName;

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark]
    public void Build()
    {
        using AgentHost host = AgentComposition.Compose(Launch()).Host;
    }

    [Benchmark]
    public async Task BuildStartStop()
    {
        using AgentHost host = AgentComposition.Compose(Launch()).Host;
        await host.StartAsync();
        await host.StopAsync();
    }

    private AgentLaunch Launch() => new()
    {
        ReadDefaultConfigFile = false,
        Environment = new Dictionary<string, string>(),
        CommandLine = new Dictionary<string, string?>
        {
            ["Agent:DataDir"] = Path.Combine(_directory, "var"),
            ["Agent:LogLevel"] = "None",
        },
        Output = TextWriter.Null,
        CurrentDirectory = _directory,
        ExecutableDirectory = _directory,
    };
}

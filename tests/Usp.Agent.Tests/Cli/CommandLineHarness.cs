using Usp.Agent.Cli;

namespace Usp.Agent.Tests.Cli;

/// <summary>Runs the real command line with the agent replaced by a recorder.</summary>
internal sealed class CommandLineHarness
{
    public CommandLineHarness(string dataDir = "/nonexistent/data")
    {
        CommandLine = new AgentCommandLine(
            (settings, _) =>
            {
                Ran = settings;
                return Task.FromResult(0);
            },
            settings => Path.Combine(settings.ConfigurationOverrides.TryGetValue("Agent:DataDir", out string? dir) && dir is not null ? dir : dataDir, "usp-agent.sock"),
            Output,
            Error);
    }

    public AgentCommandLine CommandLine { get; }

    public StringWriter Output { get; } = new();

    public StringWriter Error { get; } = new();

    /// <summary>The settings the agent was run with; null when the command did not run the agent.</summary>
    public AgentSettingsArguments? Ran { get; private set; }

    public Task<int> InvokeAsync(params string[] args) => CommandLine.InvokeAsync(args, CancellationToken.None);
}

namespace Usp.Agent.Cli;

/// <summary>What the command line says about the agent's configuration: an explicit file, and keys set by options.</summary>
internal sealed record AgentSettingsArguments(string? ConfigFile, IReadOnlyDictionary<string, string?> ConfigurationOverrides);

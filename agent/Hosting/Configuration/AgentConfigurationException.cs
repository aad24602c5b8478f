namespace Usp.Agent.Hosting;

/// <summary>A configuration value the agent cannot run with; the message names the key and the fix.</summary>
internal sealed class AgentConfigurationException(string message) : Exception(message);

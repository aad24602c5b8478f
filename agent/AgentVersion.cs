using System.Reflection;

namespace Usp.Agent;

/// <summary>Version facts printed by <c>usp-agent --version</c> and the start-up banner.</summary>
internal static class AgentVersion
{
    /// <summary>USP protocol versions whose messages and records this agent implements.</summary>
    public const string SupportedUspVersions = "1.0,1.1,1.2,1.3,1.4";

    public static string Product { get; } =
        typeof(AgentVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";

    public static string Describe() => $"usp-agent {Product} (USP {SupportedUspVersions})";
}

using System.Reflection;

namespace Usp.Agent;

/// <summary>Version facts printed by <c>usp-agent --version</c> and the start-up banner.</summary>
internal static class AgentVersion
{
    /// <summary>USP protocol versions this agent implements (what GetSupportedProtocol reports).</summary>
    public const string SupportedUspVersions = Usp.DataModel.UspProtocol.SupportedVersions;

    public static string Product { get; } =
        typeof(AgentVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";

    public static string Describe() => $"usp-agent {Product} (USP {SupportedUspVersions})";
}

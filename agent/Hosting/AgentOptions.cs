using Microsoft.Extensions.Logging;

namespace Usp.Agent.Hosting;

/// <summary>Which hardware abstraction backs the TR-181 device objects.</summary>
internal enum HalKind
{
    Simulated,
    Linux,
}

/// <summary>
/// The agent's settings, read once at start from the <c>Agent</c> configuration section and validated.
/// Paths are absolute.
/// </summary>
internal sealed record AgentOptions
{
    public const string SectionName = "Agent";

    public required string DataDir { get; init; }

    /// <summary>The configured USP Endpoint ID, or null when the data model assigns it.</summary>
    public string? EndpointId { get; init; }

    /// <summary>The factory-default data model file; it may not exist (the engine reports that).</summary>
    public required string FactoryDefaults { get; init; }

    /// <summary>UDP port of the CoAP MTP; 0 disables it.</summary>
    public int CoapPort { get; init; }

    /// <summary>UDP port of the CoAP-over-DTLS MTP; 0 disables it.</summary>
    public int CoapsPort { get; init; }

    public required string Bind { get; init; }

    public HalKind Hal { get; init; }

    public bool Mdns { get; init; }

    /// <summary>The <c>Discovery</c> section: mDNS backend, host name, interfaces, subtypes.</summary>
    public Discovery.DiscoveryOptions Discovery { get; init; } = new();

    public LogLevel LogLevel { get; init; }

    /// <summary>A system reboot command run on Device.Reboot() instead of restarting the process.</summary>
    public string? RebootCommand { get; init; }

    public string AdminSocketPath => Path.Combine(DataDir, "usp-agent.sock");
}

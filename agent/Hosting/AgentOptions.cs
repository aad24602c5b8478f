using Microsoft.Extensions.Logging;
using Usp.DataModel;

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

    public LogLevel LogLevel { get; init; }

    /// <summary>A system reboot command run on Device.Reboot() instead of restarting the process.</summary>
    public string? RebootCommand { get; init; }

    /// <summary>Configured Device.DeviceInfo.ManufacturerOUI (upper case); null: the data model's, else the system's.</summary>
    public string? ManufacturerOui { get; init; }

    /// <summary>Configured Device.DeviceInfo.SerialNumber; null: the data model's, else the system's.</summary>
    public string? SerialNumber { get; init; }

    /// <summary>Configured Device.DeviceInfo.ProductClass; null: the data model's, else a default.</summary>
    public string? ProductClass { get; init; }

    /// <summary>Where the device's identity is read from (/proc, /sys, /etc under it); "/" but in tests.</summary>
    public string SystemRoot { get; init; } = "/";

    /// <summary>The identity settings the engine takes (configuration wins over the data model).</summary>
    public DeviceIdentitySettings IdentitySettings() => new()
    {
        ManufacturerOui = ManufacturerOui,
        SerialNumber = SerialNumber,
        ProductClass = ProductClass,
        SystemRoot = SystemRoot,
    };

    /// <summary>The local administration socket when configured (<c>Agent:AdminSocket</c>); null: in the data directory.</summary>
    public string? AdminSocket { get; init; }

    /// <summary>The local administration socket: <see cref="AdminSocket"/>, else <c>&lt;DataDir&gt;/usp-agent.sock</c>.</summary>
    public string AdminSocketPath => AdminSocket ?? Path.Combine(DataDir, "usp-agent.sock");
}

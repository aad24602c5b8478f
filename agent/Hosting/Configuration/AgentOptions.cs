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

    /// <summary>The agent's DTLS certificate (PEM, leaf first); null: a development identity under the data directory.</summary>
    public string? Certificate { get; init; }

    /// <summary>The private key of <see cref="Certificate"/> (PEM).</summary>
    public string? PrivateKey { get; init; }

    /// <summary>PEM certificates the agent trusts for Controllers (CAs or Controller certificates).</summary>
    public string? TrustStore { get; init; }

    /// <summary>Optional DTLS PSK identity and key (hex) for TLS_PSK_WITH_AES_128_CCM_8; off unless both are set.</summary>
    public string? PskIdentity { get; init; }

    public string? PskKey { get; init; }

    /// <summary>How long an idle DTLS session is kept.</summary>
    public TimeSpan DtlsIdleTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>DTLS sessions kept at most.</summary>
    public int DtlsMaxSessions { get; init; } = 64;

    /// <summary>Whether the clock is absolute time (certificate dates checked): null decides from the clock (see AbsoluteTime).</summary>
    public bool? AbsoluteTime { get; init; }

    public HalKind Hal { get; init; }

    /// <summary>The <c>Hal:</c> section: devices, simulated wires, system root.</summary>
    public Usp.Hal.Config.HalSettings HalSettings { get; init; } = new() { Devices = [] };

    public bool Mdns { get; init; }

    /// <summary>The <c>Discovery</c> section: mDNS backend, host name, interfaces, subtypes.</summary>
    public Discovery.DiscoveryOptions Discovery { get; init; } = new();

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

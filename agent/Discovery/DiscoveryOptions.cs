namespace Usp.Agent.Discovery;

/// <summary>Which responder publishes the agent's records.</summary>
public enum DiscoveryBackend
{
    /// <summary>avahi when its daemon is reachable, else the built-in responder.</summary>
    Auto,
    Builtin,
    Avahi,
}

/// <summary>The <c>Discovery</c> configuration section.</summary>
internal sealed record DiscoveryOptions
{
    public const string SectionName = "Discovery";
    public const string DefaultAvahiServiceFile = "/etc/avahi/services/usp-agent.service";
    public const string DefaultAvahiSocket = "/run/avahi-daemon/socket";

    public DiscoveryBackend Backend { get; init; } = DiscoveryBackend.Auto;

    /// <summary>The host label advertised as <c>&lt;HostName&gt;.local</c>; empty: the system's host name.</summary>
    public string? HostName { get; init; }

    /// <summary>Interface names to serve; empty: every up, multicast-capable, non-loopback interface.</summary>
    public IReadOnlyList<string> Interfaces { get; init; } = [];

    /// <summary>DNS-SD subtypes (<c>_iot-device</c>, <c>_gateway</c>…) under which the agent is also advertised.</summary>
    public IReadOnlyList<string> Subtypes { get; init; } = [];

    public string AvahiServiceFile { get; init; } = DefaultAvahiServiceFile;

    public string AvahiSocket { get; init; } = DefaultAvahiSocket;

    /// <summary>The host label to advertise: the configured one, else the first label of the system's host name.</summary>
    public string HostLabel()
    {
        string name = string.IsNullOrWhiteSpace(HostName) ? System.Net.Dns.GetHostName() : HostName!;
        string label = name.Split('.')[0];
        return MdnsClaim.Fit(label.Length == 0 ? "usp-agent" : label, Dns.DnsName.MaxLabelLength);
    }
}

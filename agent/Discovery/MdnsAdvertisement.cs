using System.Net;
using Usp.Agent.Discovery.Dns;

namespace Usp.Agent.Discovery;

/// <summary>
/// What the agent advertises: its host label (<c>&lt;HostLabel&gt;.local</c>) and one DNS-SD service instance per
/// served MTP. Built from the served endpoints and the data model; the responder and the avahi backend both publish it.
/// </summary>
public sealed record MdnsAdvertisement(string HostLabel, IReadOnlyList<MdnsService> Services)
{
    public static readonly DnsName LocalDomain = DnsName.Parse("local");

    public static MdnsAdvertisement Empty(string hostLabel) => new(hostLabel, []);
}

/// <summary>
/// One DNS-SD service instance (RFC 6763 §4.1): <c>&lt;InstanceLabel&gt;.&lt;ServiceType&gt;.local</c>, its port, its TXT
/// strings in order, and optional subtypes (<c>_x._sub.&lt;ServiceType&gt;</c>). <see cref="Key"/> identifies the
/// instance across changes (the MTP it stands for), so a changed port or TXT is re-announced, not re-probed.
/// </summary>
public sealed record MdnsService(string Key, string InstanceLabel, string ServiceType, ushort Port, IReadOnlyList<string> Txt, IReadOnlyList<string> Subtypes)
{
    public bool Equals(MdnsService? other) =>
        other is not null && Key == other.Key && InstanceLabel == other.InstanceLabel && ServiceType == other.ServiceType &&
        Port == other.Port && Txt.SequenceEqual(other.Txt) && Subtypes.SequenceEqual(other.Subtypes);

    public override int GetHashCode() => HashCode.Combine(Key, InstanceLabel, ServiceType, Port);
}

/// <summary>A multicast-capable interface the responder serves, with the addresses it advertises there (RFC 6762 §6.2).</summary>
public sealed record MdnsInterface(int Index, string Name, IReadOnlyList<IPAddress> Addresses)
{
    public bool HasIPv4 => Addresses.Any(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);

    public bool HasIPv6 => Addresses.Any(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6);

    public bool Equals(MdnsInterface? other) =>
        other is not null && Index == other.Index && Name == other.Name && Addresses.SequenceEqual(other.Addresses);

    public override int GetHashCode() => HashCode.Combine(Index, Name, Addresses.Count);
}

/// <summary>One datagram for the transport: multicast on an interface (<see cref="Destination"/> null) or unicast.</summary>
public sealed record MdnsOutgoing(byte[] Data, int InterfaceIndex, IPEndPoint? Destination);

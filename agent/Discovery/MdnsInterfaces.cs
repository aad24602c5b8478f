using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Usp.Agent.Discovery;

/// <summary>
/// The interfaces the responder serves: up, multicast-capable, not loopback, with at least one address; limited to
/// the names configured (<c>Discovery:Interfaces</c>) when given, and to the bind address when the MTPs bind one.
/// </summary>
internal sealed class MdnsInterfaces(IReadOnlyList<string> names, IPAddress bind)
{
    public IReadOnlyList<MdnsInterface> Current()
    {
        var result = new List<MdnsInterface>();
        NetworkInterface[] all;
        try
        {
            all = NetworkInterface.GetAllNetworkInterfaces();
        }
        catch (NetworkInformationException)
        {
            return result;
        }

        foreach (NetworkInterface nic in all)
        {
            if (nic.NetworkInterfaceType == NetworkInterfaceType.Loopback || !nic.SupportsMulticast ||
                nic.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown) ||
                (names.Count > 0 && !names.Contains(nic.Name, StringComparer.Ordinal)))
            {
                continue;
            }

            IPInterfaceProperties properties = nic.GetIPProperties();
            int index = properties.GetIPv4Properties()?.Index ?? properties.GetIPv6Properties()?.Index ?? -1;
            List<IPAddress> addresses = [.. properties.UnicastAddresses
                .Select(u => u.Address)
                .Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                .Where(a => IsAny(bind) || a.Equals(bind))
                .Select(a => a.AddressFamily == AddressFamily.InterNetworkV6 ? new IPAddress(a.GetAddressBytes()) : a)
                .OrderBy(a => a.AddressFamily)
                .ThenBy(a => a.ToString(), StringComparer.Ordinal)];
            if (index > 0 && addresses.Count > 0)
            {
                result.Add(new MdnsInterface(index, nic.Name, addresses));
            }
        }

        return result;
    }

    private static bool IsAny(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);
}

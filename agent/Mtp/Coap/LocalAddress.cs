using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Usp.Agent.Mtp.Coap;

/// <summary>
/// The address a peer can reach us at, for our reply-to: the bind address, or, when bound to a wildcard, the
/// source address the kernel picks towards that peer (a connected UDP socket sends nothing).
/// </summary>
internal sealed class LocalAddress(IPAddress bind)
{
    private readonly ConcurrentDictionary<IPAddress, IPAddress> _routes = new();

    public IPAddress Towards(IPAddress peer)
    {
        if (!bind.Equals(IPAddress.Any) && !bind.Equals(IPAddress.IPv6Any))
        {
            return bind;
        }

        if (_routes.Count > 256)
        {
            _routes.Clear();
        }

        return _routes.GetOrAdd(peer, static p =>
        {
            try
            {
                using var probe = new Socket(p.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                probe.Connect(p, 9);
                IPAddress local = ((IPEndPoint)probe.LocalEndPoint!).Address;
                return local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local;
            }
            catch (SocketException)
            {
                return p.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
            }
        });
    }
}

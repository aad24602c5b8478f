using System.Net;
using System.Net.Sockets;

namespace Usp.Agent.Discovery;

/// <summary>
/// The two mDNS sockets: UDP 5353 on IPv4 (group 224.0.0.251) and IPv6 (group ff02::fb), shared with other
/// responders on the host (SO_REUSEADDR and SO_REUSEPORT), joined on each served interface, with the arrival
/// interface of each datagram (IP_PKTINFO). Multicast goes out with TTL / hop limit 255 (RFC 6762 §11).
/// </summary>
internal sealed class MdnsSockets : IDisposable
{
    public static readonly IPAddress GroupV4 = IPAddress.Parse("224.0.0.251");
    public static readonly IPAddress GroupV6 = IPAddress.Parse("ff02::fb");

    private const int SolSocket = 1;
    private const int SoReusePort = 15;

    private readonly Lock _sendGate = new();
    private readonly HashSet<int> _joinedV4 = [];
    private readonly HashSet<int> _joinedV6 = [];

    public MdnsSockets(int port)
    {
        V4 = Open(AddressFamily.InterNetwork, port);
        try
        {
            V6 = Open(AddressFamily.InterNetworkV6, port);
        }
        catch (SocketException)
        {
            // A host without IPv6 (disabled in the kernel): IPv4 alone.
            V6 = null;
        }
    }

    public Socket V4 { get; }

    public Socket? V6 { get; }

    /// <summary>Joins the groups on the interfaces served now and leaves those no longer served.</summary>
    public void Join(IReadOnlyList<MdnsInterface> interfaces)
    {
        Reconcile(V4, _joinedV4, [.. interfaces.Where(i => i.HasIPv4).Select(i => i.Index)], (socket, index, add) =>
            socket.SetSocketOption(SocketOptionLevel.IP, add ? SocketOptionName.AddMembership : SocketOptionName.DropMembership, new MulticastOption(GroupV4, index)));
        if (V6 is { } v6)
        {
            Reconcile(v6, _joinedV6, [.. interfaces.Where(i => i.HasIPv6).Select(i => i.Index)], (socket, index, add) =>
                socket.SetSocketOption(SocketOptionLevel.IPv6, add ? SocketOptionName.AddMembership : SocketOptionName.DropMembership, new IPv6MulticastOption(GroupV6, index)));
        }
    }

    /// <summary>Sends one datagram: to the groups through interface <see cref="MdnsOutgoing.InterfaceIndex"/>, or unicast.</summary>
    public void Send(MdnsOutgoing outgoing, MdnsInterface? iface)
    {
        lock (_sendGate)
        {
            try
            {
                if (outgoing.Destination is { } destination)
                {
                    Socket socket = destination.AddressFamily == AddressFamily.InterNetworkV6 ? V6 ?? V4 : V4;
                    socket.SendTo(outgoing.Data, destination);
                    return;
                }

                if (iface is null)
                {
                    return;
                }

                if (iface.HasIPv4)
                {
                    V4.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.HostToNetworkOrder(iface.Index));
                    V4.SendTo(outgoing.Data, new IPEndPoint(GroupV4, MdnsResponder.MdnsPort));
                }

                if (iface.HasIPv6 && V6 is { } v6)
                {
                    v6.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, iface.Index);
                    v6.SendTo(outgoing.Data, new IPEndPoint(new IPAddress(GroupV6.GetAddressBytes(), iface.Index), MdnsResponder.MdnsPort));
                }
            }
            catch (SocketException)
            {
                // An interface that went down between the snapshot and the send: the next change re-announces.
            }
        }
    }

    public void Dispose()
    {
        V4.Dispose();
        V6?.Dispose();
    }

    private static Socket Open(AddressFamily family, int port)
    {
        var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
            if (family == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.PacketInformation, true);
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastTimeToLive, 255);
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastLoopback, true);
                socket.Bind(new IPEndPoint(IPAddress.IPv6Any, port));
            }
            else
            {
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.PacketInformation, true);
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 255);
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, true);
                socket.Bind(new IPEndPoint(IPAddress.Any, port));
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static void Reconcile(Socket socket, HashSet<int> joined, HashSet<int> wanted, Action<Socket, int, bool> change)
    {
        foreach (int index in joined.Where(i => !wanted.Contains(i)).ToList())
        {
            Try(() => change(socket, index, false));
            joined.Remove(index);
        }

        foreach (int index in wanted.Where(i => !joined.Contains(i)).ToList())
        {
            // EADDRINUSE: already a member (another path joined it); either way we receive the group there.
            Try(() => change(socket, index, true));
            joined.Add(index);
        }
    }

    private static void Try(Action action)
    {
        try
        {
            action();
        }
        catch (SocketException)
        {
        }
    }
}

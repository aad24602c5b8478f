using System.Net;
using System.Net.Sockets;

namespace Usp.Tests.Support;

/// <summary>Random free loopback ports for processes that need a port number up front.</summary>
internal static class FreePort
{
    /// <summary>A free UDP port on <paramref name="address"/> (default 127.0.0.1); a tiny race remains until the user binds it.</summary>
    public static int Udp(IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        using var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>Whether UDP <paramref name="port"/> on 127.0.0.1 can be bound now.</summary>
    public static bool IsUdpFree(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

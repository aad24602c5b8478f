using System.Net;
using System.Net.Sockets;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>Random free loopback ports for processes that need a port number up front.</summary>
internal static class FreePort
{
    public static int Udp()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

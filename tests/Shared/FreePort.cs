using System.Net;
using System.Net.Sockets;

namespace Usp.Tests.Support;

/// <summary>
/// Random free loopback ports for processes that need a port number up front. They are drawn below the kernel's
/// ephemeral range (/proc/sys/net/ipv4/ip_local_port_range), so a socket another test binds to port 0 meanwhile
/// cannot take one before its user binds it, and no port is handed out twice in one test process.
/// </summary>
internal static class FreePort
{
    private const int Lowest = 10000;
    private static readonly HashSet<int> HandedOut = [];
    private static readonly int EphemeralLow = ReadEphemeralLow();

    /// <summary>A free UDP port on <paramref name="address"/> (default 127.0.0.1).</summary>
    public static int Udp(IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        for (int attempt = 0; attempt < 500 && EphemeralLow - Lowest >= 1000; attempt++)
        {
            int port = Random.Shared.Next(Lowest, EphemeralLow);
            lock (HandedOut)
            {
                if (!HandedOut.Contains(port) && IsUdpFree(port, address))
                {
                    HandedOut.Add(port);
                    return port;
                }
            }
        }

        // An ephemeral range that leaves no room below it: the kernel's choice (a tiny race remains until the user binds it).
        using var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static int ReadEphemeralLow()
    {
        try
        {
            string[] range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32768; // Linux's default
        }
    }

    /// <summary>Whether UDP <paramref name="port"/> on <paramref name="address"/> (default 127.0.0.1) can be bound now.</summary>
    public static bool IsUdpFree(int port, IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

using System.Net.Sockets;
using System.Text;

namespace Usp.Agent.Hosting.Systemd;

/// <summary>sd_notify over the SOCK_DGRAM Unix socket named by NOTIFY_SOCKET (a path, or '@name' for an abstract socket).</summary>
internal sealed class UnixDatagramNotifier : ISystemdNotifier, IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly UnixDomainSocketEndPoint _target;

    public UnixDatagramNotifier(string notifySocket)
    {
        _target = ToEndPoint(notifySocket);
    }

    public bool IsEnabled => true;

    public bool Notify(string state)
    {
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(state), SocketFlags.None, _target);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>systemd writes abstract socket names with a leading '@'; the kernel wants a leading NUL.</summary>
    public static UnixDomainSocketEndPoint ToEndPoint(string notifySocket) =>
        new(notifySocket.StartsWith('@') ? "\0" + notifySocket[1..] : notifySocket);
}

using System.Net;
using System.Net.Sockets;

namespace Usp.Agent.Coap;

/// <summary>CoAP over plain UDP (IPv4 or IPv6; the IPv6 wildcard also accepts IPv4).</summary>
public sealed class UdpCoapTransport : ICoapTransport
{
    private const int MaxDatagramSize = 65535;

    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Action<string>? _log;
    private Task _receiveLoop = Task.CompletedTask;

    private UdpCoapTransport(Socket socket, Action<string>? log)
    {
        _socket = socket;
        _log = log;
        LocalEndPoint = Normalize((IPEndPoint)socket.LocalEndPoint!);
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Binds a UDP socket; port 0 picks an ephemeral port, reported in <see cref="LocalEndPoint"/>.</summary>
    public static UdpCoapTransport Bind(IPEndPoint localEndPoint, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        var socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (localEndPoint.AddressFamily == AddressFamily.InterNetworkV6 && localEndPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }
            socket.Bind(localEndPoint);
            return new UdpCoapTransport(socket, log);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Start(CoapDatagramHandler onDatagram)
    {
        ArgumentNullException.ThrowIfNull(onDatagram);
        _receiveLoop = Task.Run(() => ReceiveLoopAsync(onDatagram, _stop.Token));
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint peer, CancellationToken cancellationToken)
    {
        await _socket.SendToAsync(datagram, SocketFlags.None, peer, cancellationToken).ConfigureAwait(false);
    }

    private async Task ReceiveLoopAsync(CoapDatagramHandler onDatagram, CancellationToken stop)
    {
        var buffer = new byte[MaxDatagramSize];
        EndPoint any = _socket.AddressFamily == AddressFamily.InterNetworkV6
            ? new IPEndPoint(IPAddress.IPv6Any, 0)
            : new IPEndPoint(IPAddress.Any, 0);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, stop).ConfigureAwait(false);
                onDatagram(buffer.AsMemory(0, result.ReceivedBytes), Normalize((IPEndPoint)result.RemoteEndPoint));
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (Exception e)
            {
                // ICMP errors surface as SocketException on some platforms; a bad datagram must never stop the loop.
                _log?.Invoke($"coap: receive error ignored: {e.Message}");
            }
        }
    }

    /// <summary>Peers seen through a dual-mode socket appear as ::ffff:a.b.c.d; keep one identity per peer.</summary>
    internal static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        try
        {
            await _receiveLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}

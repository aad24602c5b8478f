using System.Net;
using System.Net.Sockets;

namespace Usp.Agent.Coap;

/// <summary>CoAP over plain UDP (IPv4 or IPv6; the IPv6 wildcard also accepts IPv4).</summary>
public sealed class UdpCoapTransport : ICoapTransport
{
    private const int MaxDatagramSize = 65535;

    private readonly Socket _socket;
    private volatile bool _stopping;
    private readonly Action<string>? _log;
    private Thread? _receiveThread;

    private UdpCoapTransport(Socket socket, Action<string>? log)
    {
        _socket = socket;
        _log = log;
        LocalEndPoint = Normalize((IPEndPoint)socket.LocalEndPoint!);
    }

    public IPEndPoint LocalEndPoint { get; }

    public bool IsSecure => false;

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
        // A thread of its own blocked in recvfrom: the kernel wakes it for each datagram, with no hop through
        // the socket engine's epoll thread and the thread pool (about a third of the CPU per round trip, measured).
        _receiveThread = new Thread(() => ReceiveLoop(onDatagram)) { IsBackground = true, Name = "coap-receive" };
        _receiveThread.Start();
    }

    /// <summary>Sends synchronously: a UDP send does not wait for the peer, and the socket stays in blocking mode for the receive thread.</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CoapPeer peer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _socket.SendTo(datagram.Span, SocketFlags.None, peer.EndPoint);
        return ValueTask.CompletedTask;
    }

    private void ReceiveLoop(CoapDatagramHandler onDatagram)
    {
        var buffer = new byte[MaxDatagramSize];
        EndPoint any = _socket.AddressFamily == AddressFamily.InterNetworkV6
            ? new IPEndPoint(IPAddress.IPv6Any, 0)
            : new IPEndPoint(IPAddress.Any, 0);
        while (!_stopping)
        {
            try
            {
                EndPoint from = any;
                int received = _socket.ReceiveFrom(buffer, SocketFlags.None, ref from);
                onDatagram(buffer.AsMemory(0, received), new CoapPeer(Normalize((IPEndPoint)from)));
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException) when (_stopping)
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

    public ValueTask DisposeAsync()
    {
        if (!_stopping)
        {
            _stopping = true;
            // Closing the socket unblocks recvfrom (the runtime shuts it down first).
            _socket.Dispose();
            if (_receiveThread is { } thread && thread != Thread.CurrentThread)
            {
                thread.Join();
            }
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>Plain UDP transports (coap).</summary>
public sealed class UdpCoapTransportFactory(Action<string>? log = null) : ICoapTransportFactory
{
    public bool IsSecure => false;

    public ICoapTransport Bind(IPEndPoint localEndPoint) => UdpCoapTransport.Bind(localEndPoint, log);
}

using System.Net;
using System.Net.Sockets;

namespace Usp.Tests.Support;

/// <summary>Which way a datagram crosses a <see cref="UdpRelay"/>.</summary>
internal enum RelayDirection
{
    /// <summary>From the initiator (whoever last sent to the front socket) to the target.</summary>
    ToTarget,

    /// <summary>From the target back to the initiator.</summary>
    ToInitiator,
}

/// <summary>
/// What a <see cref="UdpRelay"/> does with one datagram: the copies to send, each after its delay. Called once per
/// datagram, in arrival order, from the relay's receive loops (both directions, so it must be thread-safe).
/// <paramref name="number"/> counts the datagrams of both directions from 1.
/// </summary>
internal delegate TimeSpan[] RelayHook(RelayDirection direction, long number, ReadOnlySpan<byte> datagram);

/// <summary>
/// A UDP relay on loopback between an initiator and a target: a front socket the initiator sends to, a back socket
/// that talks to <see cref="Target"/> (the address the target knows the initiator by), and a hook that decides per
/// datagram whether it is dropped, delayed, duplicated or passed (and may record it). Delays are independent per copy,
/// so a later datagram may overtake an earlier one. Everything stops on dispose.
/// </summary>
internal sealed class UdpRelay : IAsyncDisposable
{
    /// <summary>The hook's answer for "send it now, once".</summary>
    public static readonly TimeSpan[] Pass = [TimeSpan.Zero];

    /// <summary>The hook's answer for "lose it".</summary>
    public static readonly TimeSpan[] Drop = [];

    private readonly Socket _front = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private Socket _back = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly RelayHook _hook;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _order = new();
    private readonly Task _forward;
    private readonly List<Task> _backward = [];
    private long _number, _highestSent, _forwarded, _dropped, _duplicated, _overtaken;
    private volatile IPEndPoint? _target;
    private volatile EndPoint? _initiator;

    /// <param name="target">Where datagrams from the front go; null until <see cref="Target"/> is set (they are dropped meanwhile).</param>
    /// <param name="hook">The per-datagram decision; null passes everything.</param>
    public UdpRelay(IPEndPoint? target = null, RelayHook? hook = null)
    {
        _target = target;
        _hook = hook ?? ((_, _, _) => Pass);
        _front.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _back.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        LocalEndPoint = (IPEndPoint)_front.LocalEndPoint!;
        _forward = Task.Run(() => PumpAsync(_front, RelayDirection.ToTarget));
        Socket back = _back;
        _backward.Add(Task.Run(() => PumpAsync(back, RelayDirection.ToInitiator)));
    }

    /// <summary>The front socket's address: give it to the initiator in place of the target's.</summary>
    public IPEndPoint LocalEndPoint { get; }

    public int Port => LocalEndPoint.Port;

    public IPEndPoint? Target
    {
        get => _target;
        set => _target = value;
    }

    /// <summary>Datagram copies sent on.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>Datagrams the hook dropped (or that had nowhere to go yet).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Datagrams the hook sent more than once.</summary>
    public long Duplicated => Interlocked.Read(ref _duplicated);

    /// <summary>Datagram copies sent after a later-received datagram had been sent (reordered by their delays).</summary>
    public long Overtaken => Interlocked.Read(ref _overtaken);

    public string Describe() => $"{Forwarded} forwarded, {Dropped} dropped, {Duplicated} duplicated, {Overtaken} overtaken";

    /// <summary>The address the target sees the initiator at.</summary>
    public IPEndPoint BackEndPoint => (IPEndPoint)Volatile.Read(ref _back).LocalEndPoint!;

    /// <summary>Sends <paramref name="datagram"/> to the target from the back socket, as if the initiator had (no hook).</summary>
    public void Inject(byte[] datagram) => Volatile.Read(ref _back).SendTo(datagram, _target ?? throw new InvalidOperationException("no target yet"));

    /// <summary>
    /// A NAT rebinding: from now on the target sees the initiator at a new address (a fresh back socket, another
    /// port), as after a gateway's NAT mapping expired; the old back socket is closed.
    /// </summary>
    public void RebindBack()
    {
        var fresh = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        fresh.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Socket old = Interlocked.Exchange(ref _back, fresh);
        lock (_backward)
        {
            _backward.Add(Task.Run(() => PumpAsync(fresh, RelayDirection.ToInitiator)));
        }

        old.Dispose();
    }

    private async Task PumpAsync(Socket socket, RelayDirection direction)
    {
        var buffer = new byte[65535];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (SocketException)
            {
                continue; // an ICMP error for an earlier send
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            if (direction == RelayDirection.ToTarget)
            {
                _initiator = r.RemoteEndPoint;
            }

            long number = Interlocked.Increment(ref _number);
            TimeSpan[] copies = _hook(direction, number, buffer.AsSpan(0, r.ReceivedBytes));
            EndPoint? destination = direction == RelayDirection.ToTarget ? _target : _initiator;
            Socket via = direction == RelayDirection.ToTarget ? Volatile.Read(ref _back) : _front;
            if (copies.Length == 0 || destination is null)
            {
                Interlocked.Increment(ref _dropped);
                continue;
            }

            if (copies.Length > 1)
            {
                Interlocked.Increment(ref _duplicated);
            }

            byte[] datagram = buffer[..r.ReceivedBytes];
            foreach (TimeSpan delay in copies)
            {
                if (delay <= TimeSpan.Zero)
                {
                    Send(via, datagram, destination, number);
                }
                else
                {
                    _ = SendLaterAsync(via, datagram, destination, number, delay);
                }
            }
        }
    }

    private async Task SendLaterAsync(Socket via, byte[] datagram, EndPoint destination, long number, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _stop.Token);
            Send(via, datagram, destination, number);
        }
        catch (OperationCanceledException)
        {
            // The relay is gone: a datagram lost like any other.
        }
    }

    private void Send(Socket via, byte[] datagram, EndPoint destination, long number)
    {
        lock (_order)
        {
            if (number < _highestSent)
            {
                _overtaken++;
            }

            _highestSent = Math.Max(_highestSent, number);
        }

        try
        {
            via.SendTo(datagram, destination);
            Interlocked.Increment(ref _forwarded);
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            // The relay is closing, or the peer is gone (ICMP): lost like any other datagram.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _front.Dispose();
        Volatile.Read(ref _back).Dispose();
        Task[] pumps;
        lock (_backward)
        {
            pumps = [_forward, .. _backward];
        }

        try
        {
            await Task.WhenAll(pumps);
        }
        catch (Exception)
        {
            // Ended by the cancellation.
        }
    }
}

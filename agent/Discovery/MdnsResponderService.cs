using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Usp.Agent.Discovery;

/// <summary>
/// Runs the built-in responder: the sockets, a receive loop per address family, and one loop that re-reads the
/// advertisement and the interfaces when told of a change and sends what is due. Goodbyes go out on stop.
/// A responder that cannot bind UDP 5353 logs why and leaves the agent running unadvertised.
/// </summary>
internal sealed partial class MdnsResponderService : IHostedService, IDisposable
{
    private readonly IMdnsAdvertisementSource _source;
    private readonly MdnsInterfaces _interfaces;
    private readonly ILogger<MdnsResponderService> _logger;
    private readonly TimeProvider _time;
    private readonly int _port;
    private readonly MdnsResponder _responder;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private MdnsSockets? _sockets;
    private IReadOnlyList<MdnsInterface> _served = [];
    private volatile bool _changed = true;

    public MdnsResponderService(IMdnsAdvertisementSource source, MdnsInterfaces interfaces, ILogger<MdnsResponderService> logger, TimeProvider time, int port = MdnsResponder.MdnsPort)
    {
        _source = source;
        _interfaces = interfaces;
        _logger = logger;
        _time = time;
        _port = port;
        _responder = new MdnsResponder(logger);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _sockets = new MdnsSockets(_port);
        }
        catch (SocketException e)
        {
            LogCannotBind(_port, e.Message);
            return Task.CompletedTask;
        }

        _source.Changed += OnChanged;
        NetworkChange.NetworkAddressChanged += OnNetworkChanged;
        _loops.Add(Task.Run(() => ReceiveLoopAsync(_sockets.V4, _stopping.Token), CancellationToken.None));
        if (_sockets.V6 is { } v6)
        {
            _loops.Add(Task.Run(() => ReceiveLoopAsync(v6, _stopping.Token), CancellationToken.None));
        }

        _loops.Add(Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _source.Changed -= OnChanged;
        NetworkChange.NetworkAddressChanged -= OnNetworkChanged;
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        if (_sockets is { } sockets)
        {
            lock (_gate)
            {
                // RFC 6762 §10.1: TTL 0 so that caches drop the records now rather than when they expire.
                _responder.Goodbye();
                Flush();
            }

            sockets.Dispose();
            LogGoodbye();
        }
    }

    public void Dispose()
    {
        _sockets?.Dispose();
        _wake.Dispose();
        _stopping.Dispose();
    }

    private void OnChanged()
    {
        _changed = true;
        _wake.Release();
    }

    private void OnNetworkChanged(object? sender, EventArgs e) => OnChanged();

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                DateTimeOffset next;
                lock (_gate)
                {
                    DateTimeOffset now = _time.GetUtcNow();
                    if (_changed)
                    {
                        _changed = false;
                        Refresh(now);
                    }

                    next = _responder.Poll(now);
                    Flush();
                }

                TimeSpan wait = next == DateTimeOffset.MaxValue ? Timeout.InfiniteTimeSpan : Clamp(next - _time.GetUtcNow());
                await _wake.WaitAsync(wait, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Refresh(DateTimeOffset now)
    {
        MdnsAdvertisement? advertisement = _source.Current;
        if (advertisement is null)
        {
            return;
        }

        IReadOnlyList<MdnsInterface> interfaces = _interfaces.Current();
        if (!interfaces.SequenceEqual(_served))
        {
            _sockets!.Join(interfaces);
            if (interfaces.Count == 0)
            {
                LogNoInterface();
            }
        }

        _served = interfaces;
        _responder.Update(advertisement, interfaces, now);
    }

    private async Task ReceiveLoopAsync(Socket socket, CancellationToken stoppingToken)
    {
        byte[] buffer = new byte[9000];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!stoppingToken.IsCancellationRequested)
        {
            SocketReceiveMessageFromResult received;
            try
            {
                received = await socket.ReceiveMessageFromAsync(buffer, SocketFlags.None, any, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.MessageSize or SocketError.ConnectionReset)
            {
                continue;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            var source = (IPEndPoint)received.RemoteEndPoint;
            lock (_gate)
            {
                _responder.Receive(buffer.AsSpan(0, received.ReceivedBytes), source, received.PacketInformation.Interface, _time.GetUtcNow());
                Flush();
            }

            // Delayed answers may now be due earlier than the loop's wait.
            _wake.Release();
        }
    }

    /// <summary>Sends what the responder produced; called under the gate.</summary>
    private void Flush()
    {
        foreach (MdnsOutgoing outgoing in _responder.TakeOutgoing())
        {
            _sockets?.Send(outgoing, _served.FirstOrDefault(i => i.Index == outgoing.InterfaceIndex));
        }
    }

    private static TimeSpan Clamp(TimeSpan wait) => wait < TimeSpan.Zero ? TimeSpan.Zero : wait > TimeSpan.FromHours(1) ? TimeSpan.FromHours(1) : wait;

    [LoggerMessage(Level = LogLevel.Error, Message = "mDNS: cannot listen on UDP port {Port}: {Reason}. The agent is not advertised.")]
    private partial void LogCannotBind(int port, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "mDNS: no up, multicast-capable, non-loopback interface with an address: nothing is advertised until one appears.")]
    private partial void LogNoInterface();

    [LoggerMessage(Level = LogLevel.Information, Message = "mDNS: goodbye sent; the agent's records are withdrawn.")]
    private partial void LogGoodbye();
}

/// <summary>What to advertise, and a signal when it changes. The signal may come on any thread, even under the engine lock.</summary>
internal interface IMdnsAdvertisementSource
{
    /// <summary>The advertisement now, or null until it is known (the engine not open yet).</summary>
    MdnsAdvertisement? Current { get; }

    event Action? Changed;
}

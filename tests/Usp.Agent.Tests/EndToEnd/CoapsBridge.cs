using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Usp.Agent.Coap;
using Usp.Agent.Dtls;
using Usp.Agent.Tests.Dtls;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>
/// Puts DTLS in front of a Controller that speaks plain CoAP (the node Controller: the npm coap package has no DTLS),
/// so the end-to-end tests run unchanged over coaps. Whole datagrams are passed through, so CoAP (message IDs,
/// tokens, retransmissions, block-wise) stays end to end between the Controller and the agent:
/// <list type="bullet">
/// <item>what the Controller sends to <see cref="ClientSide"/> leaves over a DTLS session to the agent's coaps port,
/// opened with the Controller's certificate (one session per Controller socket), and the agent's answers come back;</item>
/// <item><see cref="ServerSide"/> is the Controller's coaps server (the reply-to and MTP the agent is given): the agent
/// opens DTLS sessions to it as a client and checks its certificate; what arrives is passed to the Controller's plain
/// CoAP server from one UDP socket per session, and its answers go back over that session.</item>
/// </list>
/// The DTLS on the Controller's side is our own transport; third-party DTLS peers (libcoap, OpenSSL) are tested in Dtls/.
/// </summary>
internal sealed class CoapsBridge : IAsyncDisposable
{
    private readonly DtlsSecurity _security;
    private readonly string _agentId;
    private readonly Socket _plain;
    private readonly DtlsCoapTransport _served;
    private readonly ConcurrentDictionary<IPEndPoint, DtlsCoapTransport> _toAgent = new();
    private readonly ConcurrentDictionary<IPEndPoint, Socket> _toController = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Task> _loops = [];
    private IPEndPoint? _controller;

    /// <param name="certificate">The Controller's certificate and key (its EndpointID in the SAN), presented both ways.</param>
    /// <param name="agentId">The EndpointID the agent's certificate must name.</param>
    public CoapsBridge(string certificate, string key, string trustStore, string agentId, IPEndPoint agent)
    {
        _security = DtlsTestPki.Security(certificate, key, trustStore);
        _agentId = agentId;
        Agent = agent;
        _plain = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _plain.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _served = DtlsCoapTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0), _security, new DtlsSessionSettings(), Log);
    }

    /// <summary>Where the Controller sends what is meant for the agent (plain CoAP).</summary>
    public IPEndPoint ClientSide => (IPEndPoint)_plain.LocalEndPoint!;

    /// <summary>The Controller's coaps server as the agent sees it.</summary>
    public IPEndPoint ServerSide => _served.LocalEndPoint;

    /// <summary>The agent's coaps endpoint; a test that moves the agent's port moves it here too.</summary>
    public IPEndPoint Agent { get; set; }

    /// <summary>The bridge's DTLS log (sessions established and closed, with the reason).</summary>
    public ListLogger Log { get; } = new();

    /// <summary>Starts passing datagrams; <paramref name="controllerServer"/> is the Controller's plain CoAP server.</summary>
    public void Start(IPEndPoint controllerServer)
    {
        _controller = controllerServer;
        _served.Start(FromAgentToServer);
        _loops.Add(Task.Run(ClientLoopAsync));
    }

    private async Task ClientLoopAsync()
    {
        byte[] buffer = new byte[65535];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _plain.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            var source = (IPEndPoint)received.RemoteEndPoint;
            byte[] datagram = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
            DtlsCoapTransport session = _toAgent.GetOrAdd(source, OpenTowardsAgent);
            try
            {
                await session.SendAsync(datagram, Agent, _stop.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // As a lost datagram: the Controller's CoAP retransmits, and a new handshake is tried then.
                Log.Lines.Enqueue($"Warning: bridge: to the agent at {Agent} not sent: {e.Message}");
            }
        }
    }

    private DtlsCoapTransport OpenTowardsAgent(IPEndPoint controllerSocket)
    {
        var transport = DtlsCoapTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0), _security, new DtlsSessionSettings(), Log);
        transport.ClientTargetFor = peer => new DtlsClientTarget(peer.Address.ToString(), _agentId);
        transport.Start((datagram, _) =>
        {
            try
            {
                _plain.SendTo(datagram.Span, controllerSocket);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        });
        return transport;
    }

    private void FromAgentToServer(ReadOnlyMemory<byte> datagram, CoapPeer peer)
    {
        Socket socket = _toController.GetOrAdd(peer.EndPoint, OpenTowardsController);
        try
        {
            socket.SendTo(datagram.Span, _controller!);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private Socket OpenTowardsController(IPEndPoint agentSocket)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _loops.Add(Task.Run(async () =>
        {
            byte[] buffer = new byte[65535];
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                    await _served.SendAsync(buffer.AsMemory(0, received.ReceivedBytes).ToArray(), agentSocket, _stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
                {
                    if (_stop.IsCancellationRequested)
                    {
                        return;
                    }
                }
            }
        }));
        return socket;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (DtlsCoapTransport transport in _toAgent.Values)
        {
            await transport.DisposeAsync();
        }

        await _served.DisposeAsync();
        _plain.Dispose();
        foreach (Socket socket in _toController.Values)
        {
            socket.Dispose();
        }

        try
        {
            await Task.WhenAll(_loops.ToArray()).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }

        _stop.Dispose();
    }
}

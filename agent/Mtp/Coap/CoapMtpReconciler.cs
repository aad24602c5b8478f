using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Usp.Agent.Coap;
using Usp.Agent.Hosting;
using Usp.DataModel;
using Usp.DataModel.Store;

namespace Usp.Agent.Mtp.Coap;

/// <summary>
/// Keeps the CoAP MTP in step with the data model: each enabled <c>Device.LocalAgent.MTP.{i}.</c> with Protocol CoAP
/// becomes a resource at its CoAP.Path on its CoAP.Port (a <see cref="CoapInboundServer"/> per port, over a transport
/// of the security the row's EnableEncryption asks for), each row's Status says whether it is served, and
/// <see cref="Changed"/> tells subscribers (mDNS, say) what is served now.
/// </summary>
internal sealed partial class CoapMtpReconciler : IServedEndpoints
{
    private readonly AgentOptions _options;
    private readonly IReadOnlyList<ICoapTransportFactory> _transports;
    private readonly CoapInboundRecords _records;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IPAddress _bind;
    private readonly LocalAddress _localAddress;
    private readonly Channel<bool> _reconcile = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Dictionary<int, CoapInboundServer> _servers = [];
    private readonly Lock _serversGate = new();
    private readonly CancellationTokenSource _stopping = new();
    private volatile IReadOnlyList<ServedEndpoint> _current = [];
    private UspEngine? _engine;
    private string? _firstCoapMtp;
    private string? _firstCoapsMtp;
    private Task _loop = Task.CompletedTask;

    public CoapMtpReconciler(AgentOptions options, IReadOnlyList<ICoapTransportFactory> transports, CoapInboundRecords records, TimeProvider time, ILogger logger)
    {
        _options = options;
        _transports = transports;
        _records = records;
        _time = time;
        _logger = logger;
        _bind = IPAddress.Parse(options.Bind);
        _localAddress = new LocalAddress(_bind);
    }

    /// <summary>What is served now, in MTP row order.</summary>
    public IReadOnlyList<ServedEndpoint> Current => _current;

    public event EventHandler<ServedEndpointsChangedEventArgs>? Changed;

    /// <summary>
    /// Serves what the data model asks for and follows its changes from then on; returns the URIs served. Throws
    /// (SocketException) when a port cannot be bound at start: the agent then stops.
    /// </summary>
    public IReadOnlyList<string> Start(UspEngine engine)
    {
        _engine = engine;
        ApplyPortOverride(engine);
        IReadOnlyList<string> uris = Reconcile(engine, failOnBindError: true);
        engine.ChangesCommitted += OnChangesCommitted;
        _loop = Task.Run(() => LoopAsync(engine, _stopping.Token), CancellationToken.None);
        return uris;
    }

    /// <summary>The server on <paramref name="port"/>, if one listens there.</summary>
    public CoapInboundServer? ServerOn(int port)
    {
        lock (_serversGate)
        {
            return _servers.GetValueOrDefault(port);
        }
    }

    /// <summary>Stops following the data model and closes every port.</summary>
    public async Task StopAsync()
    {
        if (_engine is { } engine)
        {
            engine.ChangesCommitted -= OnChangesCommitted;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        CoapInboundServer[] servers;
        lock (_serversGate)
        {
            servers = [.. _servers.Values];
            _servers.Clear();
        }

        foreach (CoapInboundServer server in servers)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// --coap-port (Agent:CoapPort) names the port of the first CoAP MTP without encryption, --coaps-port
    /// (Agent:CoapsPort) that of the first with EnableEncryption; 0 leaves that MTP unserved for this run.
    /// </summary>
    private void ApplyPortOverride(UspEngine engine)
    {
        IReadOnlyList<AgentMtp> mtps = engine.GetAgentMtps();
        _firstCoapMtp = Override(engine, mtps.FirstOrDefault(m => IsCoap(m) && !m.EnableEncryption), _options.CoapPort);
        _firstCoapsMtp = Override(engine, mtps.FirstOrDefault(m => IsCoap(m) && m.EnableEncryption), _options.CoapsPort);
    }

    private string? Override(UspEngine engine, AgentMtp? first, int port)
    {
        if (first is null)
        {
            return null;
        }

        if (port != 0 && first.Port != port &&
            engine.SetInternal(first.Path + "CoAP.Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)) is { } error)
        {
            LogOverrideFailed(first.Path, error);
        }

        return first.Path;
    }

    private static bool IsCoap(AgentMtp mtp) => string.Equals(mtp.Protocol, "CoAP", StringComparison.OrdinalIgnoreCase);

    private void OnChangesCommitted(object? sender, ChangesCommittedEventArgs e)
    {
        // Runs under the engine lock: only signal. Status is ours, written by the reconcile itself.
        foreach (DataModelChange change in e.Changes)
        {
            if (change.Path.StartsWith("Device.LocalAgent.MTP.", StringComparison.Ordinal) && !change.Path.EndsWith(".Status", StringComparison.Ordinal))
            {
                _reconcile.Writer.TryWrite(true);
                return;
            }
        }
    }

    private async Task LoopAsync(UspEngine engine, CancellationToken stoppingToken)
    {
        try
        {
            while (await _reconcile.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                _reconcile.Reader.TryRead(out _);
                Reconcile(engine, failOnBindError: false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Brings the served ports and resources in line with the enabled CoAP MTPs; returns what is served.</summary>
    private IReadOnlyList<string> Reconcile(UspEngine engine, bool failOnBindError)
    {
        (List<ServedEndpoint> wanted, Dictionary<string, string> statuses) = Plan(engine);
        List<ServedEndpoint> served = Apply(wanted, statuses, failOnBindError);

        foreach ((string row, string status) in statuses)
        {
            if (engine.GetValue(row + "Status") != status && engine.SetInternal(row + "Status", status) is { } error)
            {
                LogStatusFailed(row, error);
            }
        }

        var uris = served.Select(e => e.Uri).ToList();
        foreach (string uri in uris)
        {
            LogServing(uri);
        }

        if (!served.SequenceEqual(_current))
        {
            _current = served;
            Changed?.Invoke(this, new ServedEndpointsChangedEventArgs(served));
        }

        return uris;
    }

    /// <summary>The endpoints the rows ask for (one port has one security and each path once), and the Status of each row not served.</summary>
    private (List<ServedEndpoint> Wanted, Dictionary<string, string> Statuses) Plan(UspEngine engine)
    {
        var wanted = new List<ServedEndpoint>();
        var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string disabled in engine.GetDisabledAgentMtpPaths())
        {
            statuses[disabled] = "Down";
        }

        foreach (AgentMtp mtp in engine.GetAgentMtps().Where(IsCoap))
        {
            if ((mtp.Path == _firstCoapMtp && _options.CoapPort == 0) || (mtp.Path == _firstCoapsMtp && _options.CoapsPort == 0))
            {
                statuses[mtp.Path] = "Down";
                continue;
            }

            if (FactoryFor(mtp.EnableEncryption) is null)
            {
                // No DTLS transport in this build: refuse rather than serve in clear what was configured encrypted.
                LogEncryptionUnavailable(mtp.Path);
                statuses[mtp.Path] = "Error";
                continue;
            }

            var endpoint = new ServedEndpoint(_bind, mtp.Port, ResourcePath(mtp, engine.EndpointId), mtp.EnableEncryption, mtp.Path);
            if (wanted.Any(w => w.Port == endpoint.Port && (w.Path == endpoint.Path || w.Secure != endpoint.Secure)))
            {
                LogDuplicateResource(mtp.Path, mtp.Port, endpoint.Path);
                statuses[mtp.Path] = "Error";
                continue;
            }

            wanted.Add(endpoint);
            statuses[mtp.Path] = "Up";
        }

        return (wanted, statuses);
    }

    private ICoapTransportFactory? FactoryFor(bool secure) => _transports.FirstOrDefault(t => t.IsSecure == secure);

    /// <summary>Opens and closes ports and resources to serve <paramref name="wanted"/>; a port that cannot be bound marks its rows Error.</summary>
    private List<ServedEndpoint> Apply(List<ServedEndpoint> wanted, Dictionary<string, string> statuses, bool failOnBindError)
    {
        var served = new List<ServedEndpoint>();
        lock (_serversGate)
        {
            foreach ((int port, CoapInboundServer server) in _servers.ToList())
            {
                if (!wanted.Any(w => w.Port == port && w.Secure == server.Secure))
                {
                    _servers.Remove(port);
                    _ = server.DisposeAsync().AsTask();
                    LogPortClosed(port);
                }
            }

            foreach (IGrouping<int, ServedEndpoint> port in wanted.GroupBy(w => w.Port))
            {
                if (!_servers.TryGetValue(port.Key, out CoapInboundServer? server))
                {
                    try
                    {
                        server = Open(port.Key, port.First().Secure);
                    }
                    catch (SocketException e)
                    {
                        LogBindFailed(port.Key, e.Message);
                        if (failOnBindError)
                        {
                            throw new SocketException((int)e.SocketErrorCode, $"cannot listen on UDP {_bind}:{port.Key}: {e.Message}");
                        }

                        foreach (ServedEndpoint endpoint in port)
                        {
                            statuses[endpoint.MtpRow] = "Error";
                        }

                        continue;
                    }

                    _servers.Add(port.Key, server);
                }

                server.ServeOnly(port.Select(e => e.Path).ToHashSet(StringComparer.Ordinal));
                foreach (ServedEndpoint endpoint in port)
                {
                    server.Serve(endpoint.Path);
                    served.Add(endpoint with { Port = server.Port });
                }
            }
        }

        served.Sort((a, b) => StringComparer.Ordinal.Compare(a.MtpRow, b.MtpRow));
        return served;
    }

    private static string ResourcePath(AgentMtp mtp, string endpointId) =>
        CoapResource.NormalizePath(string.IsNullOrWhiteSpace(mtp.ResourcePath) ? $"/e/{endpointId}" : mtp.ResourcePath);

    private CoapInboundServer Open(int port, bool secure)
    {
        ICoapTransport transport = FactoryFor(secure)!.Bind(new IPEndPoint(_bind, port));
        var options = new CoapEndpointOptions { Log = message => LogCoap(message), RunHandlersInline = true };
        var server = new CoapInboundServer(transport, options, _time, _localAddress, _records);
        server.Start();
        return server;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "USP CoAP MTP serves {Uri}.")]
    private partial void LogServing(string uri);

    [LoggerMessage(Level = LogLevel.Information, Message = "USP CoAP MTP closed UDP port {Port}.")]
    private partial void LogPortClosed(int port);

    [LoggerMessage(Level = LogLevel.Error, Message = "USP CoAP MTP cannot listen on UDP port {Port}: {Reason}.")]
    private partial void LogBindFailed(int port, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Mtp} asks for CoAP over DTLS (EnableEncryption), which is not in this build: it is not served.")]
    private partial void LogEncryptionUnavailable(string mtp);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Mtp} names port {Port} and path /{Path}, already served by another MTP (or with other security): it is not served.")]
    private partial void LogDuplicateResource(string mtp, int port, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot write {Mtp}CoAP.Port from the configuration: {Error}.")]
    private partial void LogOverrideFailed(string mtp, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot write {Mtp}Status: {Error}.")]
    private partial void LogStatusFailed(string mtp, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Message}")]
    private partial void LogCoap(string message);
}

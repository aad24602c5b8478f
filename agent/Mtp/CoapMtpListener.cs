using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Usp.Agent.Coap;
using Usp.Agent.Discovery;
using Usp.Agent.Engine;
using Usp.Agent.Hosting;
using Usp.DataModel;
using Usp.DataModel.Notifications;
using Usp.DataModel.Records;
using Usp.DataModel.Store;
using Usp.Proto;

namespace Usp.Agent.Mtp;

/// <summary>
/// The USP CoAP MTP: one CoAP resource per enabled <c>Device.LocalAgent.MTP.{i}.</c> with Protocol CoAP, at its
/// CoAP.Path on its CoAP.Port, kept in step with the data model while the agent runs. Records that arrive are
/// acknowledged with 2.04 and handed to the engine in per-Controller order; the engine's answers are POSTed to
/// the reply-to the Controller gave. Engine-originated Records (notifications) go to the Controller's own
/// CoAP MTP (<see cref="IMtpRecordSender"/>).
/// </summary>
internal sealed partial class CoapMtpListener : IMtpListener, IHostedService, IMtpRecordSender
{
    public const string LinkResourceType = "bbf.usp.endpoint";
    public const string LinkInterfaceAgent = "bbf.usp.a";
    private static readonly TimeSpan DrainOnStop = TimeSpan.FromSeconds(3);

    private readonly AgentOptions _options;
    private readonly AgentEngine _agentEngine;
    private readonly OutboundRecordRouter _router;
    private readonly ILogger<CoapMtpListener> _logger;
    private readonly IPAddress _bind;
    private readonly LocalAddress _localAddress;
    private readonly TaskCompletionSource<IReadOnlyList<string>> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<bool> _reconcile = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<int, ServedPort> _ports = [];
    private readonly Lock _portsGate = new();
    private readonly InboundRecordLanes<InboundRecord> _lanes;
    private readonly MdnsResolver? _mdns;
    private UspEngine? _engine;
    private string? _firstCoapMtp;
    private Task _reconcileLoop = Task.CompletedTask;

    public CoapMtpListener(AgentOptions options, AgentEngine engine, OutboundRecordRouter router, ILogger<CoapMtpListener> logger, MdnsResolver? mdns = null)
    {
        _mdns = mdns;
        _options = options;
        _agentEngine = engine;
        _router = router;
        _logger = logger;
        _bind = IPAddress.Parse(options.Bind);
        _localAddress = new LocalAddress(_bind);
        _lanes = new InboundRecordLanes<InboundRecord>(HandleRecordAsync, logger);
    }

    public string Name => "CoAP";

    public Task<IReadOnlyList<string>> WhenListening => _listening.Task;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        UspEngine engine = await _agentEngine.WhenOpen.WaitAsync(cancellationToken).ConfigureAwait(false);
        _engine = engine;
        ApplyPortOverride(engine);
        try
        {
            _listening.TrySetResult(Reconcile(engine, failOnBindError: true));
        }
        catch (Exception e) when (e is SocketException or AgentConfigurationException)
        {
            _listening.TrySetException(e);
            return;
        }

        _router.Attach(this);
        engine.ChangesCommitted += OnChangesCommitted;
        _reconcileLoop = Task.Run(() => ReconcileLoopAsync(engine, _stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_engine is { } engine)
        {
            engine.ChangesCommitted -= OnChangesCommitted;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        using (var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            // Answers already produced (an OperateResp before a reboot, say) get a moment to go out.
            drain.CancelAfter(DrainOnStop);
            await _lanes.StopAsync(drain.Token).ConfigureAwait(false);
        }

        try
        {
            await _reconcileLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        ServedPort[] ports;
        lock (_portsGate)
        {
            ports = [.. _ports.Values];
            _ports.Clear();
        }

        foreach (ServedPort port in ports)
        {
            await port.Endpoint.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask<DeliveryResult> SendAsync(string controllerEndpointId, ReadOnlyMemory<byte> record, CancellationToken cancellationToken)
    {
        UspEngine? engine = _engine;
        ControllerMtp? mtp = engine?.GetControllerMtps(controllerEndpointId)
            .FirstOrDefault(m => string.Equals(m.Protocol, "CoAP", StringComparison.OrdinalIgnoreCase) && !m.EnableEncryption && (m.Host.Length > 0 || _mdns is not null));
        if (engine is null || mtp is null)
        {
            return new DeliveryResult(DeliveryOutcome.NoMtp, 0, $"{controllerEndpointId} has no enabled CoAP MTP (without encryption) this agent can use");
        }

        (ServedPort Port, string Path)? from = FirstServed();
        if (from is not { } source)
        {
            return new DeliveryResult(DeliveryOutcome.NoMtp, 0, "the agent's CoAP MTP is not listening");
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        (string host, int port, string path) = (mtp.Host, mtp.Port, mtp.ResourcePath);
        if (host.Length == 0)
        {
            // R-DIS.7: no address configured; the Controller's DNS-SD records say where its CoAP MTP is.
            ControllerLocation? found = await _mdns!.BrowseControllerAsync(controllerEndpointId, linked.Token).ConfigureAwait(false);
            if (found is null || found.Encrypted)
            {
                return new DeliveryResult(DeliveryOutcome.NoMtp, 0, found is null
                    ? $"{controllerEndpointId} has no CoAP address configured and none was found under _usp-ctr-coap._udp by mDNS"
                    : $"{controllerEndpointId} advertises only an encrypted CoAP MTP, which this build cannot use");
            }

            (host, port, path) = (found.Address.ToString(), found.Port, path.Length > 0 ? path : found.Path);
        }
        else if (await ResolveLocalAsync(host, linked.Token).ConfigureAwait(false) is not { } resolved)
        {
            return new DeliveryResult(DeliveryOutcome.TimedOut, 0, $"no mDNS answer for {host}");
        }
        else
        {
            host = resolved;
        }

        DeliveryResult result = await source.Port.Poster.PostAsync(
            host, port, path,
            address => ReplyTo.Format(_localAddress.Towards(address).ToString(), source.Port.Port, source.Path, secure: false, ReplyToForm.Uri),
            record, linked.Token).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            LogNotifyFailed(controllerEndpointId, mtp.Host, mtp.Port, mtp.ResourcePath, result.Outcome, result.Detail ?? "");
        }

        return result;
    }

    /// <summary>R-DIS.5: a <c>.local</c> host is resolved through mDNS (when enabled); any other host is returned as it is.</summary>
    private async ValueTask<string?> ResolveLocalAsync(string host, CancellationToken cancellationToken)
    {
        if (_mdns is null || !MdnsResolver.IsLocalName(host))
        {
            return host;
        }

        return (await _mdns.ResolveHostAsync(host, cancellationToken).ConfigureAwait(false))?.ToString();
    }

    /// <summary>--coap-port (or Agent:CoapPort) names the port of the first CoAP MTP; 0 leaves it unserved for this run.</summary>
    private void ApplyPortOverride(UspEngine engine)
    {
        AgentMtp? first = engine.GetAgentMtps().FirstOrDefault(IsCoap);
        if (first is null)
        {
            return;
        }

        _firstCoapMtp = first.Path;
        if (_options.CoapPort != 0 && first.Port != _options.CoapPort &&
            engine.SetInternal(first.Path + "CoAP.Port", _options.CoapPort.ToString(System.Globalization.CultureInfo.InvariantCulture)) is { } error)
        {
            LogOverrideFailed(first.Path, error);
        }
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

    private async Task ReconcileLoopAsync(UspEngine engine, CancellationToken stoppingToken)
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

    /// <summary>Brings the served ports and resources in line with the enabled CoAP MTPs; returns what listens.</summary>
    private List<string> Reconcile(UspEngine engine, bool failOnBindError)
    {
        var wanted = new Dictionary<int, Dictionary<string, string>>();
        var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (AgentMtp mtp in engine.GetAgentMtps().Where(IsCoap))
        {
            if (mtp.Path == _firstCoapMtp && _options.CoapPort == 0)
            {
                statuses[mtp.Path] = "Down";
                continue;
            }

            if (mtp.EnableEncryption)
            {
                // DTLS is not in this build: refuse rather than serve in clear what was configured encrypted.
                LogEncryptionUnavailable(mtp.Path);
                statuses[mtp.Path] = "Error";
                continue;
            }

            string path = ResourcePath(mtp, engine.EndpointId);
            Dictionary<string, string> resources = wanted.TryGetValue(mtp.Port, out var existing) ? existing : wanted[mtp.Port] = new(StringComparer.Ordinal);
            if (!resources.TryAdd(path, mtp.Path))
            {
                LogDuplicateResource(mtp.Path, mtp.Port, path);
                statuses[mtp.Path] = "Error";
                continue;
            }

            statuses[mtp.Path] = "Up";
        }

        var uris = new List<string>();
        lock (_portsGate)
        {
            foreach (int port in _ports.Keys.Where(p => !wanted.ContainsKey(p)).ToList())
            {
                ServedPort gone = _ports[port];
                _ports.Remove(port);
                _ = gone.Endpoint.DisposeAsync().AsTask();
                LogPortClosed(port);
            }

            foreach ((int port, Dictionary<string, string> resources) in wanted)
            {
                if (!_ports.TryGetValue(port, out ServedPort? served))
                {
                    try
                    {
                        served = Open(port);
                    }
                    catch (SocketException e)
                    {
                        LogBindFailed(port, e.Message);
                        if (failOnBindError)
                        {
                            throw new SocketException((int)e.SocketErrorCode, $"cannot listen on UDP {_bind}:{port}: {e.Message}");
                        }

                        foreach (string row in resources.Values)
                        {
                            statuses[row] = "Error";
                        }

                        continue;
                    }

                    _ports.Add(port, served);
                }

                foreach (string stale in served.Resources.Keys.Where(r => !resources.ContainsKey(r)).ToList())
                {
                    served.Server.RemoveResource(stale);
                    served.Resources.Remove(stale);
                }

                foreach ((string path, string row) in resources)
                {
                    if (!served.Resources.ContainsKey(path))
                    {
                        served.Server.AddResource(Resource(served, path));
                    }

                    served.Resources[path] = row;
                    uris.Add(served.UriOf(_bind, path));
                }
            }
        }

        foreach ((string row, string status) in statuses)
        {
            if (engine.GetValue(row + "Status") != status && engine.SetInternal(row + "Status", status) is { } error)
            {
                LogStatusFailed(row, error);
            }
        }

        foreach (string uri in uris)
        {
            LogServing(uri);
        }

        return uris;
    }

    private static string ResourcePath(AgentMtp mtp, string endpointId) =>
        CoapResource.NormalizePath(string.IsNullOrWhiteSpace(mtp.ResourcePath) ? $"/e/{endpointId}" : mtp.ResourcePath);

    private ServedPort Open(int port)
    {
        // Accept only checks and queues the Record (the engine runs on its lane), so it runs on the receive thread:
        // the 2.04 goes out at once, without a thread-pool hop and a separate-ACK timer per request.
        var options = new CoapEndpointOptions { Log = message => LogCoap(message), RunHandlersInline = true };
        CoapEndpoint endpoint = CoapEndpoint.BindUdp(new IPEndPoint(_bind, port), options, TimeProvider.System);
        var served = new ServedPort(endpoint, new CoapServer(endpoint));
        endpoint.Start();
        return served;
    }

    private CoapResource Resource(ServedPort port, string path)
    {
        var ours = new OwnReplyTo(_localAddress, port.Port, path);
        return new(path, (request, _) => ValueTask.FromResult(Accept(port, ours, request)))
        {
            AllowedMethods = UspCoapRequest.Methods,
            AcceptedContentFormats = UspCoapRequest.ContentFormats,
            Attributes =
            [
                new CoapLinkAttribute("rt", LinkResourceType),
                new CoapLinkAttribute("if", LinkInterfaceAgent),
                new CoapLinkAttribute("ct", "42"),
            ],
        };
    }

    private CoapResponse Accept(ServedPort port, OwnReplyTo ours, CoapRequestContext request)
    {
        if (!UspCoapRequest.TryAccept(request, out Record? record, out ReplyTo? replyTo, out CoapResponse? refusal))
        {
            LogRefused(request.Peer, refusal!.Code.ToString(), System.Text.Encoding.UTF8.GetString(refusal.Payload.Span));
            return refusal;
        }

        // A read-only request that opens its Controller's lane is handled on this (the receive) thread once the 2.04
        // is out: no thread-pool wake-up. Anything else (a Set commits to SQLite, an Operate) goes to the pool.
        Action<Action>? startHere = QuickRecord.IsReadOnlyRequest(record!) ? request.RunAfterResponse : null;
        if (!_lanes.TryEnqueue(record!.FromId, new InboundRecord(record, replyTo!, port, ours), startHere))
        {
            return new CoapResponse(CoapCode.ServiceUnavailable, "the agent is busy or stopping; send the Record again later"u8.ToArray(), CoapContentFormat.TextPlain);
        }

        return new CoapResponse(CoapCode.Changed);
    }

    private async Task HandleRecordAsync(InboundRecord inbound, CancellationToken cancellationToken)
    {
        RecordResult? result;
        if (Thread.CurrentThread.IsThreadPoolThread)
        {
            result = Process(inbound);
        }
        else if (!_engine!.TryRunNow(static s => s.Self.Process(s.Inbound), (Self: this, Inbound: inbound), out result))
        {
            // On the receive thread, and the engine is busy (a Set committing, say): never wait for it there.
            await Task.Yield();
            result = Process(inbound);
        }

        if (result is null)
        {
            return;
        }

        string fromId = inbound.Record.FromId;

        foreach (byte[] response in result.ResponseBytes)
        {
            ReplyTo to = inbound.ReplyTo;
            string host = await ResolveLocalAsync(to.Host, cancellationToken).ConfigureAwait(false) ?? to.Host;
            DeliveryResult delivery = await inbound.Port.Poster.PostAsync(
                host, to.Port, to.Path, inbound.Ours.In(to.Form), response, cancellationToken, continueOnReceiveThread: true).ConfigureAwait(false);
            if (!delivery.Succeeded)
            {
                LogAnswerFailed(fromId, to.ToString(), delivery.Outcome, delivery.Detail ?? "");
                return;
            }
        }
    }

    /// <summary>The engine's answer to one Record; null when the Record is refused or dropped (logged).</summary>
    private RecordResult? Process(InboundRecord inbound)
    {
        UspEngine engine = _engine!;
        string fromId = inbound.Record.FromId;
        if (fromId.StartsWith(AgentEngine.LocalAdminPrefix, StringComparison.Ordinal) || engine.IsControllerDisabled(fromId))
        {
            LogControllerRefused(fromId);
            return null;
        }

        RecordResult result = engine.HandleRecord(inbound.Record, new SenderIdentity(null) { OverEncryptedMtp = false });
        if (result.Dropped)
        {
            LogDropped(fromId, result.DropCode, result.DropReason ?? "");
            return null;
        }

        return result;
    }

    private (ServedPort Port, string Path)? FirstServed()
    {
        lock (_portsGate)
        {
            foreach (ServedPort port in _ports.Values.OrderBy(p => p.Resources.Values.Min(StringComparer.Ordinal), StringComparer.Ordinal))
            {
                foreach ((string path, _) in port.Resources.OrderBy(r => r.Value, StringComparer.Ordinal))
                {
                    return (port, path);
                }
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "USP CoAP MTP serves {Uri}.")]
    private partial void LogServing(string uri);

    [LoggerMessage(Level = LogLevel.Information, Message = "USP CoAP MTP closed UDP port {Port}.")]
    private partial void LogPortClosed(int port);

    [LoggerMessage(Level = LogLevel.Error, Message = "USP CoAP MTP cannot listen on UDP port {Port}: {Reason}.")]
    private partial void LogBindFailed(int port, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Mtp} asks for CoAP over DTLS (EnableEncryption), which is not in this build: it is not served.")]
    private partial void LogEncryptionUnavailable(string mtp);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Mtp} names port {Port} and path /{Path}, already served by another MTP: it is not served.")]
    private partial void LogDuplicateResource(string mtp, int port, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot write {Mtp}CoAP.Port from the configuration: {Error}.")]
    private partial void LogOverrideFailed(string mtp, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot write {Mtp}Status: {Error}.")]
    private partial void LogStatusFailed(string mtp, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "CoAP request from {Peer} refused with {Code}: {Reason}")]
    private partial void LogRefused(IPEndPoint peer, string code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "USP Record from {Controller} ignored: the Controller is disabled or reserved.")]
    private partial void LogControllerRefused(string controller);

    [LoggerMessage(Level = LogLevel.Information, Message = "USP Record from {Controller} dropped ({Code}): {Reason}")]
    private partial void LogDropped(string controller, uint code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "USP answer to {Controller} at {ReplyTo} not delivered ({Outcome}): {Detail}")]
    private partial void LogAnswerFailed(string controller, string replyTo, DeliveryOutcome outcome, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification to {Controller} at coap://{Host}:{Port}/{Path} not delivered ({Outcome}): {Detail}")]
    private partial void LogNotifyFailed(string controller, string host, int port, string path, DeliveryOutcome outcome, string detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Message}")]
    private partial void LogCoap(string message);
}

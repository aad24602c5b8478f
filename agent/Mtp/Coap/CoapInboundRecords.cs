using Microsoft.Extensions.Logging;
using Usp.Agent.Coap;
using Usp.Agent.EngineHost;
using Usp.DataModel;
using Usp.DataModel.Notifications;
using Usp.DataModel.Records;
using Usp.Proto;

namespace Usp.Agent.Mtp.Coap;

/// <summary>
/// Records that arrive on any served resource: checked (<see cref="UspCoapRequest"/>) and acknowledged with 2.04 on
/// the receive thread, handed to the engine in per-Controller order (<see cref="InboundRecordLanes{T}"/>) with the
/// sender identity of the peer, and the engine's answers POSTed to the reply-to the Controller gave, from the port
/// the Record came to.
/// </summary>
internal sealed partial class CoapInboundRecords
{
    /// <summary>A Controller's lane goes on to its next Record while at most this many of its answers are in flight.</summary>
    public const int AnswersInFlightPerController = 8;

    private readonly InboundRecordLanes<InboundRecord> _lanes;
    private readonly AnswersInFlight _answers = new(AnswersInFlightPerController);
    private readonly ILogger _logger;
    private readonly IHostNameResolver? _hostNames;
    private UspEngine? _engine;

    public CoapInboundRecords(ILogger logger, IHostNameResolver? hostNames = null)
    {
        _logger = logger;
        _hostNames = hostNames;
        _lanes = new InboundRecordLanes<InboundRecord>(HandleRecordAsync, logger);
    }

    /// <summary>The open engine the Records go to; set before any server starts.</summary>
    public void Attach(UspEngine engine) => _engine = engine;

    /// <summary>Stops taking Records and gives the answers in hand until <paramref name="cancellationToken"/> to go out.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _lanes.StopAsync(cancellationToken, _answers.WhenAllDone);

    public CoapResponse Accept(CoapInboundServer server, OwnReplyTo ours, CoapRequestContext request)
    {
        if (!UspCoapRequest.TryAccept(request, out Record? record, out ReplyTo? replyTo, out CoapResponse? refusal))
        {
            LogRefused(request.Peer, refusal!.Code.ToString(), System.Text.Encoding.UTF8.GetString(refusal.Payload.Span));
            return refusal;
        }

        // A read-only request that opens its Controller's lane is handled on this (the receive) thread once the 2.04
        // is out: no thread-pool wake-up. Anything else (a Set commits to SQLite, an Operate, a Get that first samples
        // the process table from /proc) goes to the pool.
        Action<Action>? startHere = ReadOnlyRequestPeek.IsReadOnlyRequest(record!) && !_engine!.SamplesBeforeHandling(record!)
            ? request.RunAfterResponse : null;
        var inbound = new InboundRecord(record!, replyTo!, CoapSenderIdentity.Of(request.Peer), server, ours,
            (request.Peer.Session as Usp.Agent.Dtls.DtlsPeerSession)?.Identity?.AnchorPath);
        if (!_lanes.TryEnqueue(record!.FromId, inbound, startHere))
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

        if (result is null || result.Responses.Count == 0)
        {
            return;
        }

        await _answers.AddAsync(inbound.Record.FromId, DeliverAsync(inbound, result.ResponseBytes, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>POSTs the answers to the reply-to, in order; never throws (a failure is logged).</summary>
    private async Task DeliverAsync(InboundRecord inbound, IEnumerable<byte[]> responses, CancellationToken cancellationToken)
    {
        ReplyTo to = inbound.ReplyTo;
        try
        {
            foreach (byte[] response in responses)
            {
                string host = _hostNames is not null && _hostNames.Handles(to.Host)
                    ? (await _hostNames.ResolveAsync(to.Host, cancellationToken).ConfigureAwait(false))?.ToString() ?? to.Host
                    : to.Host;
                DeliveryResult delivery = await inbound.Server.Poster.PostAsync(
                    host, to.Port, to.Path, inbound.Ours.In(to.Form), response, cancellationToken, continueOnReceiveThread: true, expectedEndpointId: inbound.Record.FromId).ConfigureAwait(false);
                if (!delivery.Succeeded)
                {
                    LogAnswerFailed(inbound.Record.FromId, to.ToString(), delivery.Outcome, delivery.Detail ?? "");
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            LogAnswerFailed(inbound.Record.FromId, to.ToString(), DeliveryOutcome.TimedOut, "the agent stopped before it was delivered");
        }
    }

    /// <summary>The engine's answer to one Record; null when the Record is refused or dropped (logged).</summary>
    private RecordResult? Process(InboundRecord inbound)
    {
        UspEngine engine = _engine!;
        string fromId = inbound.Record.FromId;
        // The host's own Endpoint IDs (the local administration socket's) are never a network peer's. A disabled
        // Controller's Records are the engine's to refuse (it finds the Controller's row once per Record).
        if (fromId.StartsWith(AgentEngine.LocalAdminPrefix, StringComparison.Ordinal))
        {
            LogControllerRefused(fromId);
            return null;
        }

        SenderIdentity sender = inbound.Credential is { } credential
            ? inbound.Sender with { InheritedRoles = engine.GetCredentialRoles(credential) }
            : inbound.Sender;
        RecordResult result = engine.HandleRecord(inbound.Record, sender);
        if (result.Dropped)
        {
            LogDropped(fromId, result.DropCode, result.DropReason ?? "");
            return null;
        }

        return result;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "CoAP request from {Peer} refused with {Code}: {Reason}")]
    private partial void LogRefused(CoapPeer peer, string code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "USP Record from {Controller} ignored: that Endpoint ID is reserved for the local administration socket.")]
    private partial void LogControllerRefused(string controller);

    [LoggerMessage(Level = LogLevel.Information, Message = "USP Record from {Controller} dropped ({Code}): {Reason}")]
    private partial void LogDropped(string controller, uint code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "USP answer to {Controller} at {ReplyTo} not delivered ({Outcome}): {Detail}")]
    private partial void LogAnswerFailed(string controller, string replyTo, DeliveryOutcome outcome, string detail);
}

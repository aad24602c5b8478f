namespace Usp.Agent.Coap;

/// <summary>
/// The requests we receive (RFC 7252 §4.5, §5.2): message-ID deduplication with its policy (a duplicate gets the
/// same answer again, or an empty ACK while the first is still being handled), the request handler run inline or
/// awaited, and its response piggybacked on the ACK, or, when the handler takes longer than
/// SeparateResponseDelay, an empty ACK first and a separate CON response (reliable through the
/// <see cref="ConfirmableSender"/>).
/// </summary>
internal sealed class ServerExchanges
{
    private readonly CoapOutbox _outbox;
    private readonly ConfirmableSender _confirmables;
    private readonly CoapEndpointOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _dedupGate = new();
    private readonly DeduplicationCache _confirmableDedup;
    private readonly DeduplicationCache _nonConfirmableDedup;
    private CoapRequestHandler? _handler;

    public ServerExchanges(CoapOutbox outbox, ConfirmableSender confirmables, CoapEndpointOptions options, TimeProvider time)
    {
        _outbox = outbox;
        _confirmables = confirmables;
        _options = options;
        _time = time;
        _confirmableDedup = new DeduplicationCache(options.ExchangeLifetime, options.MaxDeduplicationEntries);
        _nonConfirmableDedup = new DeduplicationCache(options.NonLifetime, options.MaxDeduplicationEntries);
    }

    /// <summary>Number of remembered inbound message IDs (both lifetimes).</summary>
    public int DeduplicationEntryCount
    {
        get
        {
            lock (_dedupGate)
            {
                return _confirmableDedup.Count + _nonConfirmableDedup.Count;
            }
        }
    }

    public void SetHandler(CoapRequestHandler handler) => _handler = handler;

    /// <summary>
    /// The exchange of a new CON or NON message (request or separate response); null for a duplicate, which has been
    /// answered as the first one was.
    /// </summary>
    public InboundExchange? Deduplicate(CoapMessage message, CoapPeer peer)
    {
        bool confirmable = message.Type == CoapMessageType.Confirmable;
        InboundExchange inbound;
        bool duplicate;
        lock (_dedupGate)
        {
            var cache = confirmable ? _confirmableDedup : _nonConfirmableDedup;
            duplicate = cache.TryGetOrAdd(peer.EndPoint, message.MessageId, TokenKey.From(message.Token.Span), _time.GetUtcNow(), out inbound);
        }
        if (!duplicate)
        {
            return inbound;
        }
        if (confirmable)
        {
            byte[]? resend;
            lock (inbound)
            {
                if (inbound.Reply is null && message.IsRequest)
                {
                    // Still processing: acknowledge now so the client stops retransmitting.
                    inbound.Reply = CoapMessageWriter.Empty(CoapMessageType.Acknowledgement, message.MessageId);
                    inbound.Acknowledged = true;
                    inbound.CancelSeparateAck();
                }
                resend = inbound.Reply;
            }
            if (resend is not null)
            {
                _outbox.Send(resend, peer);
            }
        }
        return null;
    }

    /// <summary>Records the empty ACK or RST we answered a separate response with, for its duplicates.</summary>
    public static void Answered(InboundExchange inbound, byte[] reply)
    {
        lock (inbound)
        {
            inbound.Reply = reply;
            inbound.Responded = true;
        }
    }

    public void OnRequest(CoapMessage request, CoapPeer peer, InboundExchange inbound)
    {
        int badOption = request.FindUnrecognizedCriticalOption();
        if (badOption >= 0)
        {
            // §5.4.1: 4.02 for a CON request; a NON request is rejected silently.
            if (request.Type == CoapMessageType.Confirmable)
            {
                Respond(inbound, request, peer, CoapResponses.Error(CoapCode.BadOption, $"Unrecognized critical option {badOption}"));
            }
            return;
        }
        if (request.Code.Value > (byte)CoapMethod.Delete)
        {
            Respond(inbound, request, peer, CoapResponses.Error(CoapCode.MethodNotAllowed, "Unsupported method"));
            return;
        }
        var handler = _handler;
        if (handler is null)
        {
            Respond(inbound, request, peer, CoapResponses.Error(CoapCode.NotFound, "No resources"));
            return;
        }

        ValueTask<CoapMessage> pending;
        try
        {
            pending = handler(request, peer, _outbox.Stopping);
        }
        catch (Exception e)
        {
            Respond(inbound, request, peer, InternalError(e));
            return;
        }
        if (pending.IsCompleted)
        {
            try
            {
                Respond(inbound, request, peer, ResultOf(pending));
            }
            finally
            {
                RunAfterResponse(request, peer);
            }
            return;
        }
        if (request.Type == CoapMessageType.Confirmable)
        {
            lock (inbound)
            {
                if (!inbound.Responded && !inbound.Acknowledged)
                {
                    inbound.SeparateAckTimer = _time.CreateTimer(
                        static state => ((Action)state!)(),
                        (Action)(() => AcknowledgeEmpty(inbound, request, peer)),
                        _options.SeparateResponseDelay,
                        Timeout.InfiniteTimeSpan);
                }
            }
        }
        _ = RespondWhenDoneAsync(pending.AsTask(), inbound, request, peer);
    }

    private CoapMessage ResultOf(ValueTask<CoapMessage> completed)
    {
        try
        {
            return completed.Result;
        }
        catch (Exception e)
        {
            return InternalError(e);
        }
    }

    private CoapMessage InternalError(Exception e)
    {
        _options.Log?.Invoke($"coap: request handler failed: {e}");
        return CoapResponses.Error(CoapCode.InternalServerError, "Internal server error");
    }

    private async Task RespondWhenDoneAsync(Task<CoapMessage> handling, InboundExchange inbound, CoapMessage request, CoapPeer peer)
    {
        CoapMessage response;
        try
        {
            response = await handling.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            response = InternalError(e);
        }
        try
        {
            Respond(inbound, request, peer, response);
        }
        catch (Exception e)
        {
            _options.Log?.Invoke($"coap: response to {peer} not sent: {e.Message}");
        }
        RunAfterResponse(request, peer);
    }

    private void RunAfterResponse(CoapMessage request, CoapPeer peer)
    {
        if (request.AfterResponse is not { } action)
        {
            return;
        }
        request.AfterResponse = null;
        try
        {
            action();
        }
        catch (Exception e)
        {
            _options.Log?.Invoke($"coap: work after the response to {peer} failed: {e}");
        }
    }

    private void AcknowledgeEmpty(InboundExchange inbound, CoapMessage request, CoapPeer peer)
    {
        byte[] ack;
        lock (inbound)
        {
            if (inbound.Responded || inbound.Acknowledged)
            {
                return;
            }
            inbound.Acknowledged = true;
            inbound.Reply = ack = CoapMessageWriter.Empty(CoapMessageType.Acknowledgement, request.MessageId);
            inbound.CancelSeparateAck();
        }
        _outbox.Send(ack, peer);
    }

    private void Respond(InboundExchange inbound, CoapMessage request, CoapPeer peer, CoapMessage response)
    {
        response.Token = request.Token;
        byte[]? datagram = null;
        lock (inbound)
        {
            if (inbound.Responded)
            {
                return;
            }
            inbound.Responded = true;
            inbound.CancelSeparateAck();
            if (request.Type == CoapMessageType.Confirmable && !inbound.Acknowledged)
            {
                response.Type = CoapMessageType.Acknowledgement;
                response.MessageId = request.MessageId;
                inbound.Reply = datagram = EncodeOrInternalError(response);
                inbound.Acknowledged = true;
            }
            else
            {
                response.Type = request.Type == CoapMessageType.Confirmable ? CoapMessageType.Confirmable : CoapMessageType.NonConfirmable;
                response.MessageId = _outbox.NextMessageId();
                if (response.Type == CoapMessageType.NonConfirmable)
                {
                    datagram = EncodeOrInternalError(response);
                }
            }
        }
        if (datagram is not null)
        {
            _outbox.Send(datagram, peer);
        }
        else
        {
            try
            {
                _confirmables.Send(response, peer, owner: null);
            }
            catch (ArgumentException e)
            {
                var fallback = InternalError(e);
                fallback.Type = CoapMessageType.Confirmable;
                fallback.MessageId = response.MessageId;
                fallback.Token = response.Token;
                _confirmables.Send(fallback, peer, owner: null);
            }
        }
    }

    /// <summary>A handler's response that cannot be encoded (e.g. an oversized option) becomes a 5.00, never silence.</summary>
    private byte[] EncodeOrInternalError(CoapMessage response)
    {
        try
        {
            return response.ToArray();
        }
        catch (ArgumentException e)
        {
            var fallback = InternalError(e);
            fallback.Type = response.Type;
            fallback.MessageId = response.MessageId;
            fallback.Token = response.Token;
            return fallback.ToArray();
        }
    }
}

using System.Buffers.Binary;
using System.Net;

namespace Usp.Agent.Coap;

/// <summary>Answers one inbound request; the returned message needs only Code, options and payload.</summary>
public delegate ValueTask<CoapMessage> CoapRequestHandler(CoapMessage request, CoapPeer peer, CancellationToken cancellationToken);

/// <summary>
/// The CoAP messaging layer (RFC 7252 §4) on one transport: CON/NON/ACK/RST, message IDs, deduplication,
/// retransmission with exponential back-off, NSTART, piggybacked and separate responses, and token
/// matching for requests we send. Every timer comes from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class CoapEndpoint : IAsyncDisposable
{
    private const int IdleNStartSlotsKept = 64;

    private readonly ICoapTransport _transport;
    private readonly CoapEndpointOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly DeduplicationCache _confirmableDedup;
    private readonly DeduplicationCache _nonConfirmableDedup;
    private readonly Dictionary<(IPEndPoint Peer, ushort MessageId), OutgoingConfirmable> _awaitingAck = [];
    private readonly Dictionary<(IPEndPoint Peer, TokenKey Token), ClientExchange> _awaitingResponse = [];
    private readonly Dictionary<IPEndPoint, NStartSlot> _nstartSlots = [];
    private readonly Stack<NStartSlot> _idleNStartSlots = new();
    private readonly CancellationTokenSource _shutdown = new();
    private int _messageId = Random.Shared.Next(ushort.MaxValue + 1);
    private CoapRequestHandler? _requestHandler;
    private int _started;
    private int _disposed;

    public CoapEndpoint(ICoapTransport transport, CoapEndpointOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
        _options = options ?? new CoapEndpointOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _confirmableDedup = new DeduplicationCache(_options.ExchangeLifetime, _options.MaxDeduplicationEntries);
        _nonConfirmableDedup = new DeduplicationCache(_options.NonLifetime, _options.MaxDeduplicationEntries);
    }

    /// <summary>Binds a UDP socket (port 0 = ephemeral) and wraps it in an endpoint; call <see cref="Start"/> after wiring handlers.</summary>
    public static CoapEndpoint BindUdp(IPEndPoint localEndPoint, CoapEndpointOptions? options = null, TimeProvider? timeProvider = null) =>
        new(UdpCoapTransport.Bind(localEndPoint, options?.Log), options, timeProvider);

    public IPEndPoint LocalEndPoint => _transport.LocalEndPoint;

    /// <summary>True over a secured transport (coaps).</summary>
    public bool IsSecure => _transport.IsSecure;

    public CoapEndpointOptions Options => _options;

    public TimeProvider TimeProvider => _time;

    /// <summary>Number of remembered inbound message IDs (both lifetimes).</summary>
    internal int DeduplicationEntryCount
    {
        get
        {
            lock (_gate)
            {
                return _confirmableDedup.Count + _nonConfirmableDedup.Count;
            }
        }
    }

    internal int NStartSlotCount
    {
        get
        {
            lock (_gate)
            {
                return _nstartSlots.Count;
            }
        }
    }

    internal int PendingExchangeCount
    {
        get
        {
            lock (_gate)
            {
                return _awaitingAck.Count + _awaitingResponse.Count;
            }
        }
    }

    public void SetRequestHandler(CoapRequestHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _requestHandler = handler;
    }

    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _transport.Start(OnDatagram);
        }
    }

    /// <summary>
    /// Sends one request (CON by default) and returns the matching response: piggybacked, separate, or NON.
    /// An empty token gets a fresh random one; a given token (e.g. kept across the blocks of one transfer) is used as is.
    /// Throws <see cref="CoapTimeoutException"/> or <see cref="CoapResetException"/> when delivery fails.
    /// </summary>
    public Task<CoapMessage> SendRequestAsync(CoapMessage request, IPEndPoint peer, CancellationToken cancellationToken = default) =>
        SendRequestAsync(request, new CoapPeer(peer), continueOnReceiveThread: false, cancellationToken);

    /// <param name="continueOnReceiveThread">Complete the returned task on the thread that receives the response
    /// instead of a thread-pool thread (see <see cref="CoapRequest.ContinueOnReceiveThread"/>).</param>
    internal async Task<CoapMessage> SendRequestAsync(CoapMessage request, CoapPeer peer, bool continueOnReceiveThread, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(peer);
        if (!request.IsRequest || request.Type is not (CoapMessageType.Confirmable or CoapMessageType.NonConfirmable))
        {
            throw new ArgumentException("Only CON or NON requests can be sent.", nameof(request));
        }
        ObjectDisposedException.ThrowIf(_disposed != 0, this);

        var slot = AcquireNStartSlot(peer);
        try
        {
            await slot.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ReleaseNStartSlot(peer);
            throw;
        }
        var exchange = new ClientExchange(this, peer, slot, continueOnReceiveThread);
        try
        {
            lock (_gate)
            {
                if (request.Token.IsEmpty)
                {
                    do
                    {
                        request.Token = NewToken();
                    }
                    while (_awaitingResponse.ContainsKey((peer.EndPoint, TokenKey.From(request.Token.Span))));
                }
                exchange.Token = TokenKey.From(request.Token.Span);
                if (!_awaitingResponse.TryAdd((peer.EndPoint, exchange.Token), exchange))
                {
                    throw new InvalidOperationException("The token is already in use by another request to this peer.");
                }
                request.MessageId = NextMessageId();
            }
        }
        catch
        {
            exchange.ReleaseNStart();
            ReleaseNStartSlot(peer);
            throw;
        }
        if (cancellationToken.CanBeCanceled)
        {
            exchange.Cancellation = cancellationToken.UnsafeRegister(static (state, token) =>
            {
                var cancelled = (ClientExchange)state!;
                cancelled.Owner.Finish(cancelled, null, new OperationCanceledException(token));
            }, exchange);
        }

        try
        {
            if (request.Type == CoapMessageType.Confirmable)
            {
                SendConfirmable(request, peer, exchange);
            }
            else
            {
                var datagram = request.ToArray();
                exchange.ReleaseNStart();
                StartResponseTimer(exchange, _options.NonLifetime);
                Send(datagram, peer);
            }
        }
        catch (Exception e)
        {
            // The request could not be encoded; forget the exchange so the token and NSTART slot are freed.
            Finish(exchange, null, e);
        }
        return await exchange.Response.Task.ConfigureAwait(false);
    }

    internal void OnDatagram(ReadOnlyMemory<byte> datagram, CoapPeer peer)
    {
        try
        {
            Dispatch(datagram, peer);
        }
        catch (Exception e)
        {
            _options.Log?.Invoke($"coap: datagram from {peer} dropped: {e.Message}");
        }
    }

    private void Dispatch(ReadOnlyMemory<byte> datagram, CoapPeer peer)
    {
        var headerError = CoapHeader.TryRead(datagram.Span, out var header);
        if (headerError is CoapFormatError.TooShort or CoapFormatError.UnsupportedVersion)
        {
            return; // RFC 7252 §3: silently ignored.
        }
        var error = CoapMessage.TryDecode(datagram.ToArray(), out var message);
        if (error != CoapFormatError.None || message is null)
        {
            // §4.2: a malformed CON is rejected with RST; §4.3: anything else is silently dropped.
            if (header.Type == CoapMessageType.Confirmable)
            {
                Send(ResetFor(header.MessageId), peer);
            }
            return;
        }

        switch (message.Type)
        {
            case CoapMessageType.Acknowledgement:
                if (!message.IsRequest)
                {
                    OnAcknowledgement(message, peer);
                }
                return;
            case CoapMessageType.Reset:
                if (message.IsEmpty)
                {
                    OnReset(message, peer);
                }
                return;
        }

        if (message.IsEmpty)
        {
            if (message.Type == CoapMessageType.Confirmable)
            {
                Send(ResetFor(message.MessageId), peer); // CoAP ping (§4.3)
            }
            return;
        }

        bool confirmable = message.Type == CoapMessageType.Confirmable;
        InboundExchange inbound;
        bool duplicate;
        byte[]? resend = null;
        lock (_gate)
        {
            var cache = confirmable ? _confirmableDedup : _nonConfirmableDedup;
            duplicate = cache.TryGetOrAdd(peer.EndPoint, message.MessageId, TokenKey.From(message.Token.Span), _time.GetUtcNow(), out inbound);
            if (duplicate && confirmable)
            {
                if (inbound.Reply is null && message.IsRequest)
                {
                    // Still processing: acknowledge now so the client stops retransmitting.
                    inbound.Reply = EmptyAckFor(message.MessageId);
                    inbound.Acknowledged = true;
                    inbound.SeparateAckTimer?.Dispose();
                    inbound.SeparateAckTimer = null;
                }
                resend = inbound.Reply;
            }
        }
        if (duplicate)
        {
            if (resend is not null)
            {
                Send(resend, peer);
            }
            return;
        }

        if (message.IsRequest)
        {
            OnRequest(message, peer, inbound);
        }
        else
        {
            OnSeparateResponse(message, peer, inbound);
        }
    }

    private void OnRequest(CoapMessage request, CoapPeer peer, InboundExchange inbound)
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
        var handler = _requestHandler;
        if (handler is null)
        {
            Respond(inbound, request, peer, CoapResponses.Error(CoapCode.NotFound, "No resources"));
            return;
        }

        ValueTask<CoapMessage> pending;
        try
        {
            pending = handler(request, peer, _shutdown.Token);
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
            lock (_gate)
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
        lock (_gate)
        {
            if (inbound.Responded || inbound.Acknowledged)
            {
                return;
            }
            inbound.Acknowledged = true;
            inbound.Reply = ack = EmptyAckFor(request.MessageId);
            inbound.SeparateAckTimer?.Dispose();
            inbound.SeparateAckTimer = null;
        }
        Send(ack, peer);
    }

    private void Respond(InboundExchange inbound, CoapMessage request, CoapPeer peer, CoapMessage response)
    {
        response.Token = request.Token;
        byte[]? datagram = null;
        lock (_gate)
        {
            if (inbound.Responded)
            {
                return;
            }
            inbound.Responded = true;
            inbound.SeparateAckTimer?.Dispose();
            inbound.SeparateAckTimer = null;
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
                response.MessageId = NextMessageId();
                if (response.Type == CoapMessageType.NonConfirmable)
                {
                    datagram = EncodeOrInternalError(response);
                }
            }
        }
        if (datagram is not null)
        {
            Send(datagram, peer);
        }
        else
        {
            try
            {
                SendConfirmable(response, peer, exchange: null);
            }
            catch (ArgumentException e)
            {
                var fallback = InternalError(e);
                fallback.Type = CoapMessageType.Confirmable;
                fallback.MessageId = response.MessageId;
                fallback.Token = response.Token;
                SendConfirmable(fallback, peer, exchange: null);
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

    private void OnSeparateResponse(CoapMessage response, CoapPeer peer, InboundExchange inbound)
    {
        ClientExchange? exchange;
        lock (_gate)
        {
            _awaitingResponse.TryGetValue((peer.EndPoint, TokenKey.From(response.Token.Span)), out exchange);
        }
        int badOption = response.FindUnrecognizedCriticalOption();
        bool reject = exchange is null || badOption >= 0;
        if (response.Type == CoapMessageType.Confirmable)
        {
            var reply = reject ? ResetFor(response.MessageId) : EmptyAckFor(response.MessageId);
            lock (_gate)
            {
                inbound.Reply = reply;
                inbound.Responded = true;
            }
            Send(reply, peer);
        }
        if (exchange is not null)
        {
            FinishWithResponse(exchange, response, badOption);
        }
    }

    private void OnAcknowledgement(CoapMessage ack, CoapPeer peer)
    {
        var exchange = TakeAwaitingAck(peer, ack.MessageId)?.Exchange;
        if (exchange is null)
        {
            return;
        }
        if (ack.IsEmpty)
        {
            exchange.ReleaseNStart();
            StartResponseTimer(exchange, _options.SeparateResponseTimeout ?? _options.ExchangeLifetime);
            return;
        }
        if (TokenKey.From(ack.Token.Span) != exchange.Token)
        {
            Finish(exchange, null, new CoapProtocolException("Piggybacked response carries a different token"));
            return;
        }
        FinishWithResponse(exchange, ack, ack.FindUnrecognizedCriticalOption());
    }

    /// <summary>A response with an unrecognized critical option (<paramref name="badOption"/> ≥ 0) fails the exchange (RFC 7252 §5.4.1).</summary>
    private void FinishWithResponse(ClientExchange exchange, CoapMessage response, int badOption)
    {
        if (badOption >= 0)
        {
            Finish(exchange, null, new CoapProtocolException($"Response carries unrecognized critical option {badOption}"));
        }
        else
        {
            Finish(exchange, response, null);
        }
    }

    /// <summary>The confirmable message a peer's ACK or RST answers, no longer retransmitted; null when none was waiting.</summary>
    private OutgoingConfirmable? TakeAwaitingAck(CoapPeer peer, ushort messageId)
    {
        lock (_gate)
        {
            if (_awaitingAck.Remove((peer.EndPoint, messageId), out var pending))
            {
                pending.Timer?.Dispose();
                return pending;
            }
        }
        return null;
    }

    private void OnReset(CoapMessage reset, CoapPeer peer)
    {
        var pending = TakeAwaitingAck(peer, reset.MessageId);
        if (pending?.Exchange is { } exchange)
        {
            Finish(exchange, null, new CoapResetException($"{peer} rejected the request with a Reset"));
        }
        else if (pending is not null)
        {
            _options.Log?.Invoke($"coap: {peer} reset our separate response");
        }
    }

    private void SendConfirmable(CoapMessage message, CoapPeer peer, ClientExchange? exchange)
    {
        var pending = new OutgoingConfirmable(this, peer, message.MessageId, message.ToArray(), exchange);
        double factor = 1.0 + (Random.Shared.NextDouble() * (_options.AckRandomFactor - 1.0));
        lock (_gate)
        {
            if (exchange is { Finished: true })
            {
                return; // cancelled before it was sent
            }
            pending.Timeout = _options.AckTimeout * factor;
            _awaitingAck[(peer.EndPoint, pending.MessageId)] = pending;
            if (exchange is not null)
            {
                exchange.Pending = pending;
            }
            pending.Timer = _time.CreateTimer(static state =>
            {
                var confirmable = (OutgoingConfirmable)state!;
                confirmable.Owner.OnRetransmitTimer(confirmable);
            }, pending, pending.Timeout, Timeout.InfiniteTimeSpan);
        }
        Send(pending.Datagram, peer);
    }

    private void OnRetransmitTimer(OutgoingConfirmable pending)
    {
        bool giveUp;
        lock (_gate)
        {
            if (!_awaitingAck.TryGetValue((pending.Peer.EndPoint, pending.MessageId), out var current) || !ReferenceEquals(current, pending))
            {
                return;
            }
            giveUp = pending.Retransmissions >= _options.MaxRetransmit;
            if (giveUp)
            {
                _awaitingAck.Remove((pending.Peer.EndPoint, pending.MessageId));
                pending.Timer?.Dispose();
            }
            else
            {
                pending.Retransmissions++;
                pending.Timeout *= 2;
                pending.Timer?.Change(pending.Timeout, Timeout.InfiniteTimeSpan);
            }
        }
        if (!giveUp)
        {
            Send(pending.Datagram, pending.Peer);
        }
        else if (pending.Exchange is { } exchange)
        {
            Finish(exchange, null, new CoapTimeoutException(
                $"No acknowledgement from {pending.Peer} after {_options.MaxRetransmit} retransmissions"));
        }
    }

    private void StartResponseTimer(ClientExchange exchange, TimeSpan timeout)
    {
        lock (_gate)
        {
            if (exchange.Finished)
            {
                return;
            }
            exchange.ResponseTimer = _time.CreateTimer(static state =>
            {
                var ex = (ClientExchange)state!;
                ex.Owner.Finish(ex, null, new CoapTimeoutException($"No response from {ex.Peer} in time"));
            }, exchange, timeout, Timeout.InfiniteTimeSpan);
        }
    }

    private void Finish(ClientExchange exchange, CoapMessage? response, Exception? failure)
    {
        lock (_gate)
        {
            if (exchange.Finished)
            {
                return;
            }
            exchange.Finished = true;
            if (_awaitingResponse.TryGetValue((exchange.Peer.EndPoint, exchange.Token), out var current) && ReferenceEquals(current, exchange))
            {
                _awaitingResponse.Remove((exchange.Peer.EndPoint, exchange.Token));
            }
            // A separate response that overtakes its empty ACK also ends the retransmission (§5.2.2).
            if (exchange.Pending is { } pending &&
                _awaitingAck.TryGetValue((pending.Peer.EndPoint, pending.MessageId), out var awaiting) && ReferenceEquals(awaiting, pending))
            {
                _awaitingAck.Remove((pending.Peer.EndPoint, pending.MessageId));
                pending.Timer?.Dispose();
            }
            exchange.ResponseTimer?.Dispose();
        }
        exchange.ReleaseNStart();
        ReleaseNStartSlot(exchange.Peer);
        exchange.Cancellation.Dispose();
        if (failure is not null)
        {
            exchange.Response.TrySetException(failure);
        }
        else
        {
            exchange.Response.TrySetResult(response!);
        }
    }

    /// <summary>
    /// The per-peer NSTART semaphore, reference-counted so that peers we no longer talk to are forgotten. A slot no
    /// peer uses is kept for the next one (up to <see cref="IdleNStartSlotsKept"/>): with one request in flight per
    /// peer, every request would otherwise make a new semaphore.
    /// </summary>
    private SemaphoreSlim AcquireNStartSlot(CoapPeer peer)
    {
        lock (_gate)
        {
            if (!_nstartSlots.TryGetValue(peer.EndPoint, out var slot))
            {
                slot = _idleNStartSlots.TryPop(out var idle) ? idle : new NStartSlot(new SemaphoreSlim(_options.NStart, _options.NStart));
                _nstartSlots[peer.EndPoint] = slot;
            }
            slot.Users++;
            return slot.Semaphore;
        }
    }

    private void ReleaseNStartSlot(CoapPeer peer)
    {
        lock (_gate)
        {
            if (_nstartSlots.TryGetValue(peer.EndPoint, out var slot) && --slot.Users == 0)
            {
                _nstartSlots.Remove(peer.EndPoint);
                // No user left, so every holder has released it: the semaphore is back at NSTART.
                if (_idleNStartSlots.Count < IdleNStartSlotsKept && slot.Semaphore.CurrentCount == _options.NStart)
                {
                    _idleNStartSlots.Push(slot);
                }
            }
        }
    }

    /// <summary>Eight random bytes (RFC 7252 §5.3.1: hard to guess).</summary>
    internal static byte[] NewToken()
    {
        var token = new byte[8];
        SecureRandomBytes.Fill(token);
        return token;
    }

    private ushort NextMessageId() => (ushort)Interlocked.Increment(ref _messageId);

    private static byte[] EmptyAckFor(ushort messageId) => EmptyMessage(CoapMessageType.Acknowledgement, messageId);

    private static byte[] ResetFor(ushort messageId) => EmptyMessage(CoapMessageType.Reset, messageId);

    private static byte[] EmptyMessage(CoapMessageType type, ushort messageId)
    {
        var bytes = new byte[CoapHeader.Size];
        bytes[0] = (byte)((CoapHeader.Version << 6) | ((int)type << 4));
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), messageId);
        return bytes;
    }

    private void Send(byte[] datagram, CoapPeer peer)
    {
        try
        {
            var sending = _transport.SendAsync(datagram, peer, _shutdown.Token);
            if (!sending.IsCompletedSuccessfully)
            {
                _ = ObserveSendAsync(sending, peer);
            }
        }
        catch (Exception e)
        {
            // A failed send is a lost datagram; retransmission (or the peer's) covers it.
            _options.Log?.Invoke($"coap: send to {peer} failed: {e.Message}");
        }
    }

    private async Task ObserveSendAsync(ValueTask sending, CoapPeer peer)
    {
        try
        {
            await sending.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _options.Log?.Invoke($"coap: send to {peer} failed: {e.Message}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _shutdown.CancelAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        List<ClientExchange> open;
        lock (_gate)
        {
            open = [.. _awaitingResponse.Values];
            foreach (var pending in _awaitingAck.Values)
            {
                pending.Timer?.Dispose();
            }
            _awaitingAck.Clear();
        }
        foreach (var exchange in open)
        {
            Finish(exchange, null, new ObjectDisposedException(nameof(CoapEndpoint)));
        }
        _shutdown.Dispose();
    }

    private sealed class NStartSlot(SemaphoreSlim semaphore)
    {
        public SemaphoreSlim Semaphore { get; } = semaphore;
        public int Users { get; set; }
    }

    private sealed class OutgoingConfirmable(CoapEndpoint owner, CoapPeer peer, ushort messageId, byte[] datagram, ClientExchange? exchange)
    {
        /// <summary>The endpoint, for the static retransmission timer callback (no boxed state per message).</summary>
        public CoapEndpoint Owner { get; } = owner;
        public CoapPeer Peer { get; } = peer;
        public ushort MessageId { get; } = messageId;
        public byte[] Datagram { get; } = datagram;
        public ClientExchange? Exchange { get; } = exchange;
        public int Retransmissions { get; set; }
        public TimeSpan Timeout { get; set; }
        public ITimer? Timer { get; set; }
    }

    private sealed class ClientExchange(CoapEndpoint owner, CoapPeer peer, SemaphoreSlim nstartSlot, bool continueInline)
    {
        private int _nstartReleased;

        /// <summary>The endpoint, for the static cancellation and timer callbacks (no closure or boxed state per request).</summary>
        public CoapEndpoint Owner { get; } = owner;

        public CoapPeer Peer { get; } = peer;
        public TokenKey Token { get; set; }
        public TaskCompletionSource<CoapMessage> Response { get; } = new(continueInline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
        public OutgoingConfirmable? Pending { get; set; }
        public ITimer? ResponseTimer { get; set; }
        public CancellationTokenRegistration Cancellation { get; set; }
        public bool Finished { get; set; }

        public void ReleaseNStart()
        {
            if (Interlocked.Exchange(ref _nstartReleased, 1) == 0)
            {
                nstartSlot.Release();
            }
        }
    }
}

/// <summary>A token (0–8 bytes) as a dictionary key.</summary>
internal readonly record struct TokenKey(ulong Value, int Length)
{
    public static TokenKey From(ReadOnlySpan<byte> token)
    {
        ulong value = 0;
        foreach (byte b in token)
        {
            value = (value << 8) | b;
        }
        return new TokenKey(value, token.Length);
    }
}

/// <summary>Builders for the response messages the stack generates itself.</summary>
internal static class CoapResponses
{
    public static CoapMessage Error(CoapCode code, string diagnostic) => new()
    {
        Code = code,
        Payload = System.Text.Encoding.UTF8.GetBytes(diagnostic), // diagnostic payload (§5.5.2)
    };
}

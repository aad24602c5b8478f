using System.Net;

namespace Usp.Agent.Coap;

/// <summary>
/// The requests we send (RFC 7252 §5.2, §5.3, §4.7): a fresh token per request, at most NSTART outstanding
/// interactions per peer, and the response matched by (peer, token) whether piggybacked on the ACK, separate, or
/// to a NON request, within its time limit. Reliability of the request itself is the <see cref="ConfirmableSender"/>'s.
/// </summary>
internal sealed class ClientExchanges(CoapOutbox outbox, ConfirmableSender confirmables, CoapEndpointOptions options, TimeProvider time)
{
    private const int IdleNStartSlotsKept = 64;

    private readonly Lock _gate = new();
    private readonly Dictionary<(IPEndPoint Peer, TokenKey Token), Exchange> _awaitingResponse = [];
    private readonly Dictionary<IPEndPoint, NStartSlot> _nstartSlots = [];
    private readonly Stack<NStartSlot> _idleNStartSlots = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _awaitingResponse.Count;
            }
        }
    }

    public int NStartSlotCount
    {
        get
        {
            lock (_gate)
            {
                return _nstartSlots.Count;
            }
        }
    }

    /// <summary>Eight random bytes (RFC 7252 §5.3.1: hard to guess).</summary>
    public static byte[] NewToken()
    {
        var token = new byte[8];
        SecureRandomBytes.Fill(token);
        return token;
    }

    public async Task<CoapMessage> SendAsync(CoapMessage request, CoapPeer peer, bool continueOnReceiveThread, CancellationToken cancellationToken)
    {
        var slot = AcquireNStartSlot(peer.EndPoint);
        try
        {
            await slot.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ReleaseNStartSlot(peer.EndPoint);
            throw;
        }
        var exchange = new Exchange(this, peer, slot, continueOnReceiveThread);
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
            }
            request.MessageId = outbox.NextMessageId();
        }
        catch
        {
            exchange.ReleaseNStart();
            ReleaseNStartSlot(peer.EndPoint);
            throw;
        }
        if (cancellationToken.CanBeCanceled)
        {
            exchange.Cancellation = cancellationToken.UnsafeRegister(static (state, token) =>
            {
                var cancelled = (Exchange)state!;
                cancelled.Owner.Finish(cancelled, null, new OperationCanceledException(token));
            }, exchange);
        }

        try
        {
            if (request.Type == CoapMessageType.Confirmable)
            {
                confirmables.Send(request, peer, exchange);
            }
            else
            {
                var datagram = request.ToArray();
                exchange.ReleaseNStart();
                StartResponseTimer(exchange, options.NonLifetime);
                outbox.Send(datagram, peer);
            }
        }
        catch (Exception e)
        {
            // The request could not be encoded; forget the exchange so the token and NSTART slot are freed.
            Finish(exchange, null, e);
        }
        return await exchange.Response.Task.ConfigureAwait(false);
    }

    /// <summary>The peer acknowledged our request: with the response piggybacked, or empty (the response follows separately).</summary>
    public void OnAcknowledged(IConfirmableOwner owner, CoapMessage ack)
    {
        if (owner is not Exchange exchange)
        {
            return;
        }
        if (ack.IsEmpty)
        {
            exchange.ReleaseNStart();
            StartResponseTimer(exchange, options.SeparateResponseTimeout ?? options.ExchangeLifetime);
            return;
        }
        if (TokenKey.From(ack.Token.Span) != exchange.Token)
        {
            Finish(exchange, null, new CoapProtocolException("Piggybacked response carries a different token"));
            return;
        }
        FinishWithResponse(exchange, ack);
    }

    /// <summary>The peer reset our request.</summary>
    public void OnReset(IConfirmableOwner owner, CoapPeer peer)
    {
        if (owner is Exchange exchange)
        {
            Finish(exchange, null, new CoapResetException($"{peer} rejected the request with a Reset"));
        }
    }

    /// <summary>The request a separate response (CON or NON, not an ACK) answers; null when it matches none of ours.</summary>
    public IConfirmableOwner? FindWaiting(CoapMessage response, CoapPeer peer)
    {
        lock (_gate)
        {
            return _awaitingResponse.GetValueOrDefault((peer.EndPoint, TokenKey.From(response.Token.Span)));
        }
    }

    /// <summary>Completes the exchange <see cref="FindWaiting"/> found with its separate response.</summary>
    public void OnSeparateResponse(IConfirmableOwner owner, CoapMessage response)
    {
        if (owner is Exchange exchange)
        {
            FinishWithResponse(exchange, response);
        }
    }

    /// <summary>Fails every open exchange (the endpoint is closing).</summary>
    public void FailAll(Exception failure)
    {
        List<Exchange> open;
        lock (_gate)
        {
            open = [.. _awaitingResponse.Values];
        }
        foreach (var exchange in open)
        {
            Finish(exchange, null, failure);
        }
    }

    /// <summary>A response with an unrecognized critical option fails the exchange (RFC 7252 §5.4.1).</summary>
    private void FinishWithResponse(Exchange exchange, CoapMessage response)
    {
        int badOption = response.FindUnrecognizedCriticalOption();
        if (badOption >= 0)
        {
            Finish(exchange, null, new CoapProtocolException($"Response carries unrecognized critical option {badOption}"));
        }
        else
        {
            Finish(exchange, response, null);
        }
    }

    private void StartResponseTimer(Exchange exchange, TimeSpan timeout)
    {
        lock (exchange)
        {
            if (exchange.Finished)
            {
                return;
            }
            exchange.ResponseTimer = time.CreateTimer(static state =>
            {
                var ex = (Exchange)state!;
                ex.Owner.Finish(ex, null, new CoapTimeoutException($"No response from {ex.Peer} in time"));
            }, exchange, timeout, Timeout.InfiniteTimeSpan);
        }
    }

    private void Finish(Exchange exchange, CoapMessage? response, Exception? failure)
    {
        ConfirmableSender.Outgoing? pending;
        lock (exchange)
        {
            if (exchange.Finished)
            {
                return;
            }
            exchange.Finished = true;
            pending = exchange.Pending;
            exchange.ResponseTimer?.Dispose();
        }
        lock (_gate)
        {
            if (_awaitingResponse.TryGetValue((exchange.Peer.EndPoint, exchange.Token), out var current) && ReferenceEquals(current, exchange))
            {
                _awaitingResponse.Remove((exchange.Peer.EndPoint, exchange.Token));
            }
        }
        // A separate response that overtakes its empty ACK also ends the retransmission (§5.2.2).
        if (pending is not null)
        {
            confirmables.Forget(pending);
        }
        exchange.ReleaseNStart();
        ReleaseNStartSlot(exchange.Peer.EndPoint);
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
    private SemaphoreSlim AcquireNStartSlot(IPEndPoint peer)
    {
        lock (_gate)
        {
            if (!_nstartSlots.TryGetValue(peer, out var slot))
            {
                slot = _idleNStartSlots.TryPop(out var idle) ? idle : new NStartSlot(new SemaphoreSlim(options.NStart, options.NStart));
                _nstartSlots[peer] = slot;
            }
            slot.Users++;
            return slot.Semaphore;
        }
    }

    private void ReleaseNStartSlot(IPEndPoint peer)
    {
        lock (_gate)
        {
            if (_nstartSlots.TryGetValue(peer, out var slot) && --slot.Users == 0)
            {
                _nstartSlots.Remove(peer);
                // No user left, so every holder has released it: the semaphore is back at NSTART.
                if (_idleNStartSlots.Count < IdleNStartSlotsKept && slot.Semaphore.CurrentCount == options.NStart)
                {
                    _idleNStartSlots.Push(slot);
                }
            }
        }
    }

    private sealed class NStartSlot(SemaphoreSlim semaphore)
    {
        public SemaphoreSlim Semaphore { get; } = semaphore;
        public int Users { get; set; }
    }

    /// <summary>One request in flight; its state is changed under a lock on the exchange itself.</summary>
    private sealed class Exchange(ClientExchanges owner, CoapPeer peer, SemaphoreSlim nstartSlot, bool continueInline) : IConfirmableOwner
    {
        private int _nstartReleased;

        /// <summary>For the static cancellation and timer callbacks (no closure or boxed state per request).</summary>
        public ClientExchanges Owner { get; } = owner;

        public CoapPeer Peer { get; } = peer;
        public TokenKey Token { get; set; }
        public TaskCompletionSource<CoapMessage> Response { get; } = new(continueInline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
        public ConfirmableSender.Outgoing? Pending { get; set; }
        public ITimer? ResponseTimer { get; set; }
        public CancellationTokenRegistration Cancellation { get; set; }
        public bool Finished { get; set; }

        public bool Attach(ConfirmableSender.Outgoing pending)
        {
            lock (this)
            {
                if (Finished)
                {
                    return false;
                }
                Pending = pending;
                return true;
            }
        }

        public void GaveUp(CoapTimeoutException failure) => Owner.Finish(this, null, failure);

        public void ReleaseNStart()
        {
            if (Interlocked.Exchange(ref _nstartReleased, 1) == 0)
            {
                nstartSlot.Release();
            }
        }
    }
}

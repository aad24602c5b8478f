using System.Net;

namespace Usp.Agent.Coap;

/// <summary>Answers one inbound request; the returned message needs only Code, options and payload.</summary>
public delegate ValueTask<CoapMessage> CoapRequestHandler(CoapMessage request, CoapPeer peer, CancellationToken cancellationToken);

/// <summary>
/// The CoAP messaging layer (RFC 7252 §4) on one transport: decodes each datagram and hands it to the layer it
/// belongs to — an ACK or RST to the <see cref="ConfirmableSender"/> (and the client exchange it answers), a
/// request to the <see cref="ServerExchanges"/> (deduplication, piggybacked or separate response), a separate
/// response to the <see cref="ClientExchanges"/> (tokens, NSTART) — and answers what no layer takes (RST to a
/// malformed CON or a ping). Every timer comes from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class CoapEndpoint : IAsyncDisposable
{
    private readonly ICoapTransport _transport;
    private readonly CoapEndpointOptions _options;
    private readonly TimeProvider _time;
    private readonly CoapOutbox _outbox;
    private readonly ConfirmableSender _confirmables;
    private readonly ClientExchanges _client;
    private readonly ServerExchanges _server;
    private int _started;
    private int _disposed;

    public CoapEndpoint(ICoapTransport transport, CoapEndpointOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
        _options = options ?? new CoapEndpointOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _outbox = new CoapOutbox(transport, _options.Log);
        _confirmables = new ConfirmableSender(_outbox, _options, _time);
        _client = new ClientExchanges(_outbox, _confirmables, _options, _time);
        _server = new ServerExchanges(_outbox, _confirmables, _options, _time);
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
    internal int DeduplicationEntryCount => _server.DeduplicationEntryCount;

    internal int NStartSlotCount => _client.NStartSlotCount;

    internal int PendingExchangeCount => _confirmables.Count + _client.Count;

    public void SetRequestHandler(CoapRequestHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _server.SetHandler(handler);
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
    public Task<CoapMessage> SendRequestAsync(CoapMessage request, CoapPeer peer, bool continueOnReceiveThread, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(peer);
        if (!request.IsRequest || request.Type is not (CoapMessageType.Confirmable or CoapMessageType.NonConfirmable))
        {
            throw new ArgumentException("Only CON or NON requests can be sent.", nameof(request));
        }
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _client.SendAsync(request, peer, continueOnReceiveThread, cancellationToken);
    }

    /// <summary>Eight random bytes (RFC 7252 §5.3.1: hard to guess).</summary>
    public static byte[] NewToken() => ClientExchanges.NewToken();

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
                _outbox.Send(CoapMessageWriter.Empty(CoapMessageType.Reset, header.MessageId), peer);
            }
            return;
        }

        switch (message.Type)
        {
            case CoapMessageType.Acknowledgement:
                if (!message.IsRequest && _confirmables.Take(peer.EndPoint, message.MessageId)?.Owner is { } acknowledged)
                {
                    _client.OnAcknowledged(acknowledged, message);
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
                _outbox.Send(CoapMessageWriter.Empty(CoapMessageType.Reset, message.MessageId), peer); // CoAP ping (§4.3)
            }
            return;
        }

        if (_server.Deduplicate(message, peer) is not { } inbound)
        {
            return;
        }
        if (message.IsRequest)
        {
            _server.OnRequest(message, peer, inbound);
        }
        else
        {
            OnSeparateResponse(message, peer, inbound);
        }
    }

    /// <summary>A separate response is acknowledged (or reset when it answers nothing of ours or cannot be understood) before its exchange completes.</summary>
    private void OnSeparateResponse(CoapMessage response, CoapPeer peer, InboundExchange inbound)
    {
        IConfirmableOwner? exchange = _client.FindWaiting(response, peer);
        if (response.Type == CoapMessageType.Confirmable)
        {
            bool reject = exchange is null || response.FindUnrecognizedCriticalOption() >= 0;
            var reply = CoapMessageWriter.Empty(reject ? CoapMessageType.Reset : CoapMessageType.Acknowledgement, response.MessageId);
            ServerExchanges.Answered(inbound, reply);
            _outbox.Send(reply, peer);
        }
        if (exchange is not null)
        {
            _client.OnSeparateResponse(exchange, response);
        }
    }

    private void OnReset(CoapMessage reset, CoapPeer peer)
    {
        var pending = _confirmables.Take(peer.EndPoint, reset.MessageId);
        if (pending?.Owner is { } owner)
        {
            _client.OnReset(owner, peer);
        }
        else if (pending is not null)
        {
            _options.Log?.Invoke($"coap: {peer} reset our separate response");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _outbox.StopAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        _confirmables.ForgetAll();
        _client.FailAll(new ObjectDisposedException(nameof(CoapEndpoint)));
    }
}

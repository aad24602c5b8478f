using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Usp.Agent.Coap;
using Usp.Agent.Dtls;
using Usp.Proto;

namespace Usp.Bench.Load;

/// <summary>
/// One USP Controller of the load generator: its own UDP port (plain or DTLS), from which it POSTs Records to the agent
/// with a reply-to naming the same port, and a CoAP resource there that receives the agent's answers and notifications.
/// </summary>
internal sealed class BenchController : IAsyncDisposable
{
    private static readonly CoapResponse Changed = new(CoapCode.Changed);
    private readonly CoapEndpoint _endpoint;
    private readonly CoapClient _client;
    private readonly DtlsCoapTransport? _dtls;
    private readonly string _agentId;
    private readonly string _agentPath;
    private readonly string _replyTo;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<Msg>> _pending = new(StringComparer.Ordinal);
    private long _notifications;

    private BenchController(string endpointId, CoapEndpoint endpoint, DtlsCoapTransport? dtls, IPEndPoint agent, string agentId)
    {
        EndpointId = endpointId;
        _endpoint = endpoint;
        _dtls = dtls;
        Agent = agent;
        _agentId = agentId;
        _agentPath = "e/" + agentId;
        _replyTo = $"reply-to={(dtls is null ? "coap" : "coaps")}://127.0.0.1:{endpoint.LocalEndPoint.Port}/ctrl";
        var server = new CoapServer(endpoint);
        server.AddResource(new CoapResource("ctrl", (request, _) =>
        {
            Receive(request.Payload.Span);
            return ValueTask.FromResult(Changed);
        }));
        endpoint.Start();
        _client = new CoapClient(endpoint);
    }

    public string EndpointId { get; }

    /// <summary>Where requests go: the agent's CoAP or coaps port.</summary>
    public IPEndPoint Agent { get; set; }

    public int Port => _endpoint.LocalEndPoint.Port;

    /// <summary>Notify messages received (any subscription).</summary>
    public long Notifications => Interlocked.Read(ref _notifications);

    /// <summary>Binds the Controller's port; with <paramref name="security"/> it speaks DTLS and holds a session to the agent once connected.</summary>
    public static BenchController Create(string endpointId, IPEndPoint agent, string agentId, DtlsSecurity? security)
    {
        // Answers to Get Device. with thousands of instances arrive block-wise: room for them.
        var options = new CoapEndpointOptions { MaxReassembledSize = 64 * 1024 * 1024, MaxTotalReassemblyBytes = 256L * 1024 * 1024 };
        var local = new IPEndPoint(IPAddress.Loopback, 0);
        if (security is null)
        {
            return new BenchController(endpointId, CoapEndpoint.BindUdp(local, options), null, agent, agentId);
        }

        DtlsCoapTransport dtls = DtlsCoapTransport.Bind(local, security, new DtlsSessionSettings { MaxSessions = 16 }, NullLogger.Instance);
        return new BenchController(endpointId, new CoapEndpoint(dtls, options), dtls, agent, agentId);
    }

    /// <summary>The DTLS handshake with the agent (nothing for plain CoAP).</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (_dtls is not null)
        {
            await _dtls.ConnectAsync(Agent, cancellationToken);
        }
    }

    /// <summary>POSTs <paramref name="msg"/> in a Record and waits for the agent's answer with the same msg_id.</summary>
    public async Task<Msg> RequestAsync(Msg msg, TimeSpan timeout)
    {
        var answer = new TaskCompletionSource<Msg>(TaskCreationOptions.RunContinuationsAsynchronously);
        string msgId = msg.Header.MsgId;
        _pending[msgId] = answer;
        try
        {
            var request = new CoapRequest(CoapMethod.Post, Agent) { ContentFormat = CoapContentFormat.OctetStream };
            request.SetPath(_agentPath);
            request.UriQuery.Add(_replyTo);
            request.Payload = new Record
            {
                Version = "1.4",
                ToId = _agentId,
                FromId = EndpointId,
                NoSessionContext = new NoSessionContextRecord { Payload = msg.ToByteString() },
            }.ToByteArray();
            using var cts = new CancellationTokenSource(timeout);
            CoapResponse acknowledged = await _client.SendAsync(request, cts.Token);
            if (acknowledged.Code != CoapCode.Changed)
            {
                throw new BenchRequestException($"CoAP {acknowledged.Code}");
            }

            return await answer.Task.WaitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new BenchRequestException($"no answer within {timeout.TotalSeconds:F0} s");
        }
        finally
        {
            _pending.TryRemove(msgId, out _);
        }
    }

    private void Receive(ReadOnlySpan<byte> payload)
    {
        Msg msg;
        try
        {
            msg = Msg.Parser.ParseFrom(Record.Parser.ParseFrom(payload).NoSessionContext.Payload);
        }
        catch (InvalidProtocolBufferException)
        {
            return;
        }

        if (msg.Body?.Request?.Notify is not null)
        {
            Interlocked.Increment(ref _notifications);
            return;
        }

        if (_pending.TryGetValue(msg.Header.MsgId, out var answer))
        {
            answer.TrySetResult(msg);
        }
    }

    public async ValueTask DisposeAsync() => await _endpoint.DisposeAsync();
}

/// <summary>A request that was not answered as it should be: counted as an error.</summary>
internal sealed class BenchRequestException(string message) : Exception(message);

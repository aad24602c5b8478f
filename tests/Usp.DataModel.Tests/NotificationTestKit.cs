using Google.Protobuf;
using Usp.DataModel.Notifications;
using Usp.DataModel.Operations;
using Usp.DataModel.Records;
using Usp.DataModel.Schema;
using Usp.Proto;

namespace Usp.DataModel.Tests;

/// <summary>What a test plugs into the engine besides the defaults.</summary>
internal sealed record AgentHooks(
    TimeProvider? Time = null,
    IOutboundRecordSender? Sender = null,
    IDeviceRestart? Restart = null,
    IReadOnlyList<ISelfTestParticipant>? SelfTests = null,
    IReadOnlyList<IDataModelArea>? Areas = null);

/// <summary>A clock that only moves when the test says so.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>
/// Records every Record the engine sends (<see cref="Records"/>) and every Notify they carry, decoded
/// (segmented session payloads reassembled), with the clock time it was sent at.
/// </summary>
internal sealed class RecordingSender(TimeProvider clock) : IOutboundRecordSender
{
    private readonly List<SentNotify> _sent = [];
    private readonly List<Record> _records = [];
    private readonly List<ByteString> _segments = [];

    public DeliveryResult Result { get; set; } = DeliveryResult.Delivered;

    /// <summary>Runs as each Notify is sent: e.g. moves the clock, as a slow exchange on a lossy link would.</summary>
    public Action<SentNotify>? DuringSend { get; set; }

    public IReadOnlyList<SentNotify> Sent
    {
        get
        {
            lock (_sent)
                return _sent.ToList();
        }
    }

    public ValueTask<DeliveryResult> SendAsync(string controllerEndpointId, ReadOnlyMemory<byte> record, CancellationToken cancellationToken)
    {
        var r = Record.Parser.ParseFrom(record.Span);
        SentNotify? sent = null;
        Assert.Equal(controllerEndpointId, r.ToId);
        Assert.Equal(TestAgent.AgentId, r.FromId);
        lock (_sent)
        {
            _records.Add(r);
            if (Payload(r) is { } payload)
            {
                var msg = Msg.Parser.ParseFrom(payload);
                Assert.Equal(Header.Types.MsgType.Notify, msg.Header.MsgType);
                sent = new SentNotify(controllerEndpointId, msg.Header.MsgId, msg.Body.Request.Notify, clock.GetUtcNow());
                _sent.Add(sent);
            }
        }
        if (sent is not null)
            DuringSend?.Invoke(sent);
        return ValueTask.FromResult(Result);
    }

    public IReadOnlyList<Record> Records
    {
        get
        {
            lock (_sent)
                return _records.ToList();
        }
    }

    /// <summary>The whole Msg a Record completes, or null while a segmented payload is still arriving.</summary>
    private ByteString? Payload(Record r)
    {
        if (r.RecordTypeCase == Record.RecordTypeOneofCase.NoSessionContext)
            return r.NoSessionContext.Payload;
        var sc = r.SessionContext;
        Assert.NotNull(sc);
        _segments.AddRange(sc.Payload);
        if (sc.PayloadSarState is SessionContextRecord.Types.PayloadSARState.Begin or SessionContextRecord.Types.PayloadSARState.Inprocess)
            return null;
        var whole = ByteString.CopyFrom(_segments.SelectMany(p => p.ToByteArray()).ToArray());
        _segments.Clear();
        return whole;
    }
}

internal sealed record SentNotify(string To, string MsgId, Notify Notify, DateTimeOffset At);

internal sealed class RecordingRestart : IDeviceRestart
{
    public List<RestartReason> Calls { get; } = [];

    public ValueTask RestartAsync(RestartReason reason, CancellationToken cancellationToken)
    {
        Calls.Add(reason);
        return ValueTask.CompletedTask;
    }
}

/// <summary>An agent on a manual clock with a recording outbound sender, plus Operate/Notify helpers.</summary>
internal sealed class NotifyingAgent : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 30, TimeSpan.Zero);
    private int _nextMsgId;

    public NotifyingAgent(string? dataDirectory = null, IReadOnlyList<ISelfTestParticipant>? selfTests = null, IReadOnlyList<IDataModelArea>? areas = null,
        ManualClock? clock = null, string defaults = TestAgent.Defaults, DeviceIdentitySettings? identity = null)
    {
        Clock = clock ?? new ManualClock(Start);
        Sender = new RecordingSender(Clock);
        Agent = new TestAgent(dataDirectory, defaults, hooks: new AgentHooks(Clock, Sender, Restart, selfTests, areas), identity: identity);
    }

    public ManualClock Clock { get; }
    public RecordingSender Sender { get; }
    public RecordingRestart Restart { get; } = new();
    public TestAgent Agent { get; }
    public UspEngine Engine => Agent.Engine;
    public NotificationService Notifications => Engine.Notifications;

    public Task PumpAsync() => Notifications.PumpAsync();

    /// <summary>Advances the clock one second at a time, running the loop's pass after each step.</summary>
    public async Task RunForAsync(TimeSpan duration)
    {
        var end = Clock.GetUtcNow() + duration;
        while (Clock.GetUtcNow() < end)
        {
            Clock.Advance(TimeSpan.FromSeconds(1));
            await PumpAsync();
        }
    }

    public IEnumerable<SentNotify> Sent(Notify.NotificationOneofCase kind) => Sender.Sent.Where(s => s.Notify.NotificationCase == kind);

    public string AddSubscription(string id, string notifType, string referenceList, params (string Param, string Value)[] extra)
    {
        (string, string, bool)[] settings =
        [
            ("Enable", "true", true), ("ID", id, true), ("NotifType", notifType, true), ("ReferenceList", referenceList, true),
            .. extra.Select(e => (e.Param, e.Value, true)),
        ];
        var resp = Agent.Add(false, ("Device.LocalAgent.Subscription.", settings));
        Assert.Equal(Header.Types.MsgType.AddResp, resp.Header.MsgType);
        return resp.Body.Response.AddResp.CreatedObjResults[0].OperStatus.OperSuccess.InstantiatedPath;
    }

    public void SetParam(string objPath, string param, string value)
    {
        var resp = Agent.Set(false, (objPath, [(param, value, true)]));
        Assert.Equal(Header.Types.MsgType.SetResp, resp.Header.MsgType);
    }

    /// <summary>Sends an Operate; returns the OperateResp, or null when the agent answered nothing.</summary>
    public OperateResp? Operate(string command, string commandKey, bool sendResp, params (string Key, string Value)[] args)
    {
        var operate = new Usp.Proto.Operate { Command = command, CommandKey = commandKey, SendResp = sendResp };
        foreach (var (k, v) in args)
            operate.InputArgs[k] = v;
        var msg = new Msg
        {
            Header = new Header { MsgId = "op-" + Interlocked.Increment(ref _nextMsgId), MsgType = Header.Types.MsgType.Operate },
            Body = new Body { Request = new Request { Operate = operate } },
        };
        var result = Engine.HandleRecord(TestAgent.EncodeRecord(msg), new SenderIdentity(TestAgent.ControllerId));
        Assert.False(result.Dropped, result.DropReason);
        if (result.Responses.Count == 0)
            return null;
        var response = Msg.Parser.ParseFrom(Assert.Single(result.Responses).NoSessionContext.Payload);
        Assert.Equal(Header.Types.MsgType.OperateResp, response.Header.MsgType);
        return response.Body.Response.OperateResp;
    }

    /// <summary>The Controller acknowledges a Notify; the engine answers nothing.</summary>
    public void NotifyResp(SentNotify sent)
    {
        var msg = new Msg
        {
            Header = new Header { MsgId = sent.MsgId, MsgType = Header.Types.MsgType.NotifyResp },
            Body = new Body { Response = new Response { NotifyResp = new NotifyResp { SubscriptionId = sent.Notify.SubscriptionId } } },
        };
        var result = Engine.HandleRecord(TestAgent.EncodeRecord(msg, from: sent.To), new SenderIdentity(sent.To));
        Assert.False(result.Dropped, result.DropReason);
        Assert.Empty(result.Responses);
    }

    public IReadOnlyList<string> Instances(string table) =>
        Agent.GetInstances(true, table).ReqPathResults[0].CurrInsts.Select(i => i.InstantiatedObjPath).ToList();

    public void Dispose() => Agent.Dispose();
}

using Google.Protobuf;
using Usp.DataModel.Records;
using Usp.Proto;
using static Usp.Proto.SessionContextRecord.Types;

namespace Usp.DataModel.Tests;

/// <summary>TP-469 section 3 (USP Records) with E2E session contexts, driven in-process with a hand-moved clock.</summary>
public sealed class Tp469SessionRecordTests : IDisposable
{
    private const string E2E = "Device.LocalAgent.Controller.1.E2ESession.";
    private readonly ManualTime _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly TestAgent _agent;
    private int _msgIds;

    public Tp469SessionRecordTests() => _agent = new TestAgent(time: _time);

    public void Dispose() => _agent.Dispose();

    private Msg GetMsg(params string[] paths)
    {
        var get = new Get();
        get.ParamPaths.AddRange(paths);
        return new Msg
        {
            Header = new Header { MsgId = "s-" + ++_msgIds, MsgType = Header.Types.MsgType.Get },
            Body = new Body { Request = new Request { Get = get } },
        };
    }

    private Msg SetMsg(string objPath, string param, string value) => new()
    {
        Header = new Header { MsgId = "s-" + ++_msgIds, MsgType = Header.Types.MsgType.Set },
        Body = new Body
        {
            Request = new Request
            {
                Set = new Set { UpdateObjs = { new Set.Types.UpdateObject { ObjPath = objPath, ParamSettings = { new Set.Types.UpdateParamSetting { Param = param, Value = value, Required = true } } } } },
            },
        },
    };

    private static Record SessionRecord(ulong sessionId, ulong sequenceId, ulong expectedId, Msg? msg = null, ulong retransmitId = 0) => new()
    {
        Version = "1.4",
        ToId = TestAgent.AgentId,
        FromId = TestAgent.ControllerId,
        SessionContext = new SessionContextRecord
        {
            SessionId = sessionId,
            SequenceId = sequenceId,
            ExpectedId = expectedId,
            RetransmitId = retransmitId,
            Payload = { msg is null ? [] : [msg.ToByteString()] },
        },
    };

    private RecordResult Handle(Record record) => _agent.Engine.HandleRecord(record.ToByteArray(), new SenderIdentity(TestAgent.ControllerId));

    private static Msg PayloadOf(Record record)
    {
        Assert.Equal(Record.RecordTypeOneofCase.SessionContext, record.RecordTypeCase);
        return Msg.Parser.ParseFrom(Assert.Single(record.SessionContext.Payload));
    }

    private static string OnlyParamName(Msg response) =>
        Assert.Single(Assert.Single(Assert.Single(response.Body.Response.GetResp.ReqPathResults).ResolvedPathResults).ResultParams).Key;

    private void SetWithoutSession(string objPath, string param, string value) =>
        Assert.Equal(Header.Types.MsgType.SetResp, _agent.Set(false, (objPath, [(param, value, true)])).Header.MsgType);

    [Fact]
    public void Tp469_3_1_MalformedSessionRecordIsIgnored()
    {
        var bytes = SessionRecord(7, 1, 1, GetMsg("Device.DeviceInfo.")).ToByteArray();

        var result = _agent.Engine.HandleRecord(bytes.AsSpan(0, bytes.Length - 3), new SenderIdentity(TestAgent.ControllerId));

        Assert.True(result.Dropped);
        Assert.Empty(result.Responses);
    }

    [Fact]
    public void Tp469_3_3_SessionStartWithAnInvalidMacSignatureIsABadRequest()
    {
        var record = SessionRecord(7, 1, 1, GetMsg("Device.DeviceInfo."));
        record.MacSignature = ByteString.CopyFrom(0xde, 0xad, 0xbe, 0xef);

        var result = Handle(record);

        Assert.Equal(ErrorCodes.InvalidRecordValue, result.DropCode);
        Assert.Empty(result.Responses);
        Assert.Equal("Down", _agent.Engine.GetValue(E2E + "Status"));
    }

    [Fact]
    public void Tp469_3_8_EstablishingASessionContext()
    {
        var reply = Assert.Single(Handle(SessionRecord(7, 1, 1, GetMsg("Device.DeviceInfo."))).Responses);

        Assert.Equal(7ul, reply.SessionContext.SessionId);
        Assert.Equal(1ul, reply.SessionContext.SequenceId);
        Assert.Equal(2ul, reply.SessionContext.ExpectedId);
        Assert.Equal(TestAgent.ControllerId, reply.ToId);
        Assert.Equal(Header.Types.MsgType.GetResp, PayloadOf(reply).Header.MsgType);
        Assert.Equal("Up", _agent.Engine.GetValue(E2E + "Status"));
    }

    [Fact]
    public void Tp469_3_9_RecordWithANewSessionIdStartsANewSessionContext()
    {
        Handle(SessionRecord(7, 1, 1, GetMsg("Device.DeviceInfo.")));
        Handle(SessionRecord(7, 2, 2, GetMsg("Device.DeviceInfo.")));

        var reply = Assert.Single(Handle(SessionRecord(9, 1, 1, GetMsg("Device.DeviceInfo."))).Responses);

        Assert.Equal(9ul, reply.SessionContext.SessionId);
        Assert.Equal(1ul, reply.SessionContext.SequenceId);
    }

    private static Msg NotifyMsg(int n) => new()
    {
        Header = new Header { MsgId = "notify-" + n, MsgType = Header.Types.MsgType.Notify },
        Body = new Body { Request = new Request { Notify = new Notify { SubscriptionId = "periodic", Event = new Notify.Types.Event { ObjPath = "Device.LocalAgent.", EventName = "Periodic!" } } } },
    };

    private List<Record> ThreeNotifiesTenSecondsApart(int first) =>
        Enumerable.Range(first, 3).Select(n =>
        {
            _time.Advance(TimeSpan.FromSeconds(10));
            return Assert.Single(_agent.Engine.WrapForController(TestAgent.ControllerId, NotifyMsg(n)));
        }).ToList();

    [Fact]
    public void Tp469_3_10_SessionContextExpiration()
    {
        SetWithoutSession(E2E, "SessionExpiration", "60");
        SetWithoutSession("Device.LocalAgent.Controller.1.", "PeriodicNotifInterval", "10");
        Handle(SessionRecord(7, 1, 1, GetMsg("Device.DeviceInfo.ModelName")));

        var within = ThreeNotifiesTenSecondsApart(1);
        Assert.All(within, r => Assert.Equal(7ul, r.SessionContext.SessionId));
        Assert.Equal([2ul, 3ul, 4ul], within.Select(r => r.SessionContext.SequenceId));

        SetWithoutSession(E2E, "SessionExpiration", "5");
        var expiring = ThreeNotifiesTenSecondsApart(4);
        Assert.All(expiring, r => Assert.Equal(Record.RecordTypeOneofCase.SessionContext, r.RecordTypeCase));
        Assert.Equal(3, expiring.Select(r => r.SessionContext.SessionId).Append(7ul).Distinct().Count() - 1);
        Assert.All(expiring, r => Assert.Equal(1ul, r.SessionContext.SequenceId));
    }

    [Fact]
    public void NotifyWithoutASessionUsesNoSessionContext()
    {
        var record = Assert.Single(_agent.Engine.WrapForController(TestAgent.ControllerId, NotifyMsg(1)));

        Assert.Equal(Record.RecordTypeOneofCase.NoSessionContext, record.RecordTypeCase);
    }

    [Fact]
    public void Tp469_3_11_SequenceIdAndExpectedId()
    {
        var first = Assert.Single(Handle(SessionRecord(7, 1, 1, GetMsg("Device.DeviceInfo.ModelName"))).Responses);
        Assert.Equal(1ul, first.SessionContext.SequenceId);
        Assert.Equal("ModelName", OnlyParamName(PayloadOf(first)));

        Assert.Empty(Handle(SessionRecord(7, 4, 4, GetMsg("Device.DeviceInfo.SoftwareVersion"))).Responses);

        var second = Assert.Single(Handle(SessionRecord(7, 2, 2, GetMsg("Device.DeviceInfo.HardwareVersion"))).Responses);
        Assert.Equal(2ul, second.SessionContext.SequenceId);
        Assert.Equal("HardwareVersion", OnlyParamName(PayloadOf(second)));

        var rest = Handle(SessionRecord(7, 3, 3, GetMsg("Device.DeviceInfo.HardwareVersion"))).Responses;
        Assert.Equal([3ul, 4ul], rest.Select(r => r.SessionContext.SequenceId));
        Assert.Equal("HardwareVersion", OnlyParamName(PayloadOf(rest[0])));
        Assert.Equal("SoftwareVersion", OnlyParamName(PayloadOf(rest[1])));
        Assert.Equal(5ul, rest[1].SessionContext.ExpectedId);
    }

    [Fact]
    public void Tp469_3_12_SentRecordIsPreservedForRetransmission()
    {
        var original = Assert.Single(Handle(SessionRecord(7, 1, 1, GetMsg("Device.DeviceInfo."))).Responses);

        _time.Advance(TimeSpan.FromSeconds(60));
        var again = Assert.Single(Handle(SessionRecord(7, 2, 1, retransmitId: original.SessionContext.SequenceId)).Responses);

        Assert.Equal(original.ToByteArray(), again.ToByteArray());
    }

    [Fact]
    public void Tp469_3_14_RetransmitIdIsLimitedByMaxRetransmitTries()
    {
        var setResp = Assert.Single(Handle(SessionRecord(7, 1, 1, SetMsg(E2E, "MaxRetransmitTries", "2"))).Responses);
        Assert.Equal(Header.Types.MsgType.SetResp, PayloadOf(setResp).Header.MsgType);
        ulong id = setResp.SessionContext.SequenceId;

        var retransmitted = new[] { 2ul, 3ul }.Select(seq => Assert.Single(Handle(SessionRecord(7, seq, 1, retransmitId: id)).Responses)).ToList();
        Assert.All(retransmitted, r => Assert.Equal(setResp.ToByteArray(), r.ToByteArray()));

        var third = Assert.Single(Handle(SessionRecord(7, 4, 1, retransmitId: id)).Responses);
        Assert.Equal(Record.RecordTypeOneofCase.SessionContext, third.RecordTypeCase);
        Assert.NotEqual(7ul, third.SessionContext.SessionId);
        Assert.Equal(1ul, third.SessionContext.SequenceId);
        Assert.Empty(third.SessionContext.Payload);
    }

    [Fact]
    public void Tp469_3_15_DuplicateRecordsGetOneResponse()
    {
        var record = SessionRecord(7, 1, 1, GetMsg("Device.DeviceInfo.Manufacturer"));

        var answers = Enumerable.Range(0, 4).Select(_ => Handle(record)).ToList();

        Assert.Single(answers[0].Responses);
        Assert.All(answers.Skip(1), a => Assert.Empty(a.Responses));
        Assert.All(answers, a => Assert.False(a.Dropped));
    }

    [Fact]
    public void E2eTlsPayloadSecurityIsDeclinedWithDisconnect7102()
    {
        var record = SessionRecord(7, 1, 1, GetMsg("Device.DeviceInfo."));
        record.PayloadSecurity = Record.Types.PayloadSecurity.Tls12;

        var reply = Assert.Single(Handle(record).Responses);

        Assert.Equal(Record.RecordTypeOneofCase.Disconnect, reply.RecordTypeCase);
        Assert.Equal(ErrorCodes.SecureSessionNotSupported, reply.Disconnect.ReasonCode);
    }

    [Fact]
    public void R_E2E_21_RetransmitOfAnUnknownRecordRestartsTheSession()
    {
        Handle(SessionRecord(7, 1, 1, GetMsg("Device.DeviceInfo.")));

        var restart = Assert.Single(Handle(SessionRecord(7, 2, 2, retransmitId: 42)).Responses);

        Assert.NotEqual(7ul, restart.SessionContext.SessionId);
        Assert.Equal(1ul, restart.SessionContext.SequenceId);
        Assert.Equal(1ul, restart.SessionContext.ExpectedId);
        Assert.Empty(restart.SessionContext.Payload);
    }

    [Fact]
    public void R_E2E_21_PayloadThatIsNotAMsgRestartsTheSession()
    {
        var record = SessionRecord(7, 1, 1);
        record.SessionContext.Payload.Add(ByteString.CopyFrom(0xff, 0xff, 0xff));

        var restart = Assert.Single(Handle(record).Responses);

        Assert.NotEqual(7ul, restart.SessionContext.SessionId);
        Assert.Empty(restart.SessionContext.Payload);
    }

    [Fact]
    public void SegmentedPayloadIsReassembledInSequenceOrder()
    {
        var bytes = GetMsg("Device.DeviceInfo.Manufacturer").ToByteArray();
        int third = bytes.Length / 3;
        Record Segment(ulong seq, PayloadSARState state, int from, int to)
        {
            var r = SessionRecord(7, seq, 1);
            r.SessionContext.PayloadSarState = state;
            r.SessionContext.PayloadrecSarState = state;
            r.SessionContext.Payload.Add(ByteString.CopyFrom(bytes.AsSpan(from, to - from)));
            return r;
        }

        Assert.Empty(Handle(Segment(1, PayloadSARState.Begin, 0, third)).Responses);
        Assert.Empty(Handle(Segment(3, PayloadSARState.Complete, 2 * third, bytes.Length)).Responses);
        var reply = Assert.Single(Handle(Segment(2, PayloadSARState.Inprocess, third, 2 * third)).Responses);

        Assert.Equal("Example Corp", Assert.Single(Assert.Single(PayloadOf(reply).Body.Response.GetResp.ReqPathResults).ResolvedPathResults).ResultParams["Manufacturer"]);
    }

    [Fact]
    public void SegmentWithoutBeginRestartsTheSession()
    {
        var r = SessionRecord(7, 1, 1, GetMsg("Device.DeviceInfo."));
        r.SessionContext.PayloadSarState = PayloadSARState.Inprocess;
        r.SessionContext.PayloadrecSarState = PayloadSARState.Inprocess;

        var restart = Assert.Single(Handle(r).Responses);

        Assert.NotEqual(7ul, restart.SessionContext.SessionId);
    }

    [Fact]
    public void LargeResponseIsSegmentedToMaxUspRecordSize()
    {
        SetWithoutSession(E2E, "MaxUSPRecordSize", "300");

        var replies = Handle(SessionRecord(7, 1, 1, GetMsg("Device."))).Responses;

        Assert.True(replies.Count > 2);
        Assert.All(replies, r => Assert.True(r.CalculateSize() <= 300, $"a {r.CalculateSize()}-byte Record"));
        Assert.Equal(PayloadSARState.Begin, replies[0].SessionContext.PayloadSarState);
        Assert.All(replies.Skip(1).SkipLast(1), r => Assert.Equal(PayloadSARState.Inprocess, r.SessionContext.PayloadSarState));
        Assert.Equal(PayloadSARState.Complete, replies[^1].SessionContext.PayloadSarState);
        Assert.All(replies, r => Assert.Equal(r.SessionContext.PayloadSarState, r.SessionContext.PayloadrecSarState));
        Assert.Equal(Enumerable.Range(1, replies.Count).Select(i => (ulong)i), replies.Select(r => r.SessionContext.SequenceId));
        var whole = replies.SelectMany(r => r.SessionContext.Payload.SelectMany(p => p.ToByteArray())).ToArray();
        Assert.Equal(Header.Types.MsgType.GetResp, Msg.Parser.ParseFrom(whole).Header.MsgType);
    }

    [Fact]
    public void ExpiredSessionIsReplacedWhenTheControllerComesBack()
    {
        SetWithoutSession(E2E, "SessionExpiration", "30");
        Handle(SessionRecord(7, 1, 1, GetMsg("Device.DeviceInfo.")));
        Handle(SessionRecord(7, 2, 2, GetMsg("Device.DeviceInfo.")));

        _time.Advance(TimeSpan.FromSeconds(31));
        var reply = Assert.Single(Handle(SessionRecord(7, 1, 1, GetMsg("Device.DeviceInfo."))).Responses);

        Assert.Equal(1ul, reply.SessionContext.SequenceId);
        Assert.Equal(Header.Types.MsgType.GetResp, PayloadOf(reply).Header.MsgType);
    }

    [Fact]
    public void DisconnectRecordEndsTheSession()
    {
        Handle(SessionRecord(7, 1, 1, GetMsg("Device.DeviceInfo.")));
        Assert.Equal("Up", _agent.Engine.GetValue(E2E + "Status"));

        var disconnect = new Record { Version = "1.4", ToId = TestAgent.AgentId, FromId = TestAgent.ControllerId, Disconnect = new DisconnectRecord { ReasonCode = 7105, Reason = "bye" } };
        Assert.Empty(Handle(disconnect).Responses);

        Assert.Equal("Down", _agent.Engine.GetValue(E2E + "Status"));
    }

    [Fact]
    public void SessionRecordWithAnUnsupportedVersionIsIgnored()
    {
        var record = SessionRecord(7, 1, 1, GetMsg("Device.DeviceInfo."));
        record.Version = "2.0";

        var result = Handle(record);

        Assert.Equal(ErrorCodes.InvalidRecordValue, result.DropCode);
        Assert.Empty(result.Responses);
    }
}

using Google.Protobuf;
using Usp.DataModel.Records;
using Usp.Proto;
using static Usp.Proto.SessionContextRecord.Types;

namespace Usp.DataModel.Tests;

/// <summary>
/// Engine-originated Notify Records go through the session layer (UspEngine.WrapForController):
/// no_session_context without a session, the Controller's session context (sequence ids, segmentation)
/// when it has one, and every retry is a new Record carrying the same msg_id.
/// </summary>
public sealed class NotifySessionTests : IDisposable
{
    private const string Controller = "Device.LocalAgent.Controller.1.";
    private const string ProvisioningCode = Controller + "ProvisioningCode";
    private const ulong SessionId = 77;
    private readonly NotifyingAgent _a = new();

    public void Dispose() => _a.Dispose();

    private static Record SessionRecord(ulong sequenceId, ulong expectedId, Msg msg) => new()
    {
        Version = "1.4",
        ToId = TestAgent.AgentId,
        FromId = TestAgent.ControllerId,
        SessionContext = new SessionContextRecord
        {
            SessionId = SessionId,
            SequenceId = sequenceId,
            ExpectedId = expectedId,
            Payload = { msg.ToByteString() },
        },
    };

    private RecordResult Handle(Record record) => _a.Engine.HandleRecord(record.ToByteArray(), new SenderIdentity(TestAgent.ControllerId));

    /// <summary>
    /// The Controller starts session <see cref="SessionId"/> with a Get; the agent answers from its
    /// sequence_id 1 on. Returns the agent's next sequence_id.
    /// </summary>
    private ulong OpenSession()
    {
        var get = new Msg
        {
            Header = new Header { MsgId = "open", MsgType = Header.Types.MsgType.Get },
            Body = new Body { Request = new Request { Get = new Get { ParamPaths = { "Device.LocalAgent.EndpointID" } } } },
        };
        var answers = Handle(SessionRecord(1, 1, get)).Responses;
        Assert.NotEmpty(answers);
        Assert.All(answers, a => Assert.Equal(SessionId, a.SessionContext.SessionId));
        Assert.Equal(1ul, answers[0].SessionContext.SequenceId);
        return answers[^1].SessionContext.SequenceId + 1;
    }

    private static Msg NotifyResp(SentNotify sent) => new()
    {
        Header = new Header { MsgId = sent.MsgId, MsgType = Header.Types.MsgType.NotifyResp },
        Body = new Body { Response = new Response { NotifyResp = new NotifyResp { SubscriptionId = sent.Notify.SubscriptionId } } },
    };

    [Fact]
    public async Task WithoutASessionNotifyIsANoSessionContextRecord()
    {
        _a.AddSubscription("vc", "ValueChange", ProvisioningCode);
        _a.SetParam(Controller, "ProvisioningCode", "plain");
        await _a.PumpAsync();

        var record = Assert.Single(_a.Sender.Records);
        Assert.Equal(Record.RecordTypeOneofCase.NoSessionContext, record.RecordTypeCase);
        Assert.Equal("plain", Assert.Single(_a.Sent(Notify.NotificationOneofCase.ValueChange)).Notify.ValueChange.ParamValue);
    }

    [Fact]
    public async Task Tp469_1_54_RetriesInsideASessionKeepTheMsgIdAndTakeTheNextSequenceId()
    {
        _a.AddSubscription("vc", "ValueChange", ProvisioningCode, ("NotifRetry", "true"));
        Assert.Equal(2ul, OpenSession());

        _a.SetParam(Controller, "ProvisioningCode", "in-session");
        await _a.PumpAsync();
        await _a.RunForAsync(TimeSpan.FromSeconds(10));

        var records = _a.Sender.Records;
        var sent = _a.Sent(Notify.NotificationOneofCase.ValueChange).ToList();
        Assert.Equal(2, records.Count);   // the first send and one retry (5–10 s later)
        Assert.Equal(2, sent.Count);
        Assert.Equal(sent[0].MsgId, sent[1].MsgId);
        Assert.All(records, r => Assert.Equal(SessionId, r.SessionContext.SessionId));
        Assert.Equal([2ul, 3ul], records.Select(r => r.SessionContext.SequenceId));
        Assert.All(records, r => Assert.Equal(2ul, r.SessionContext.ExpectedId));
        Assert.All(records, r => Assert.Equal(PayloadSARState.None, r.SessionContext.PayloadSarState));

        // The NotifyResp arrives inside the session (the Controller has seen our Records up to 3).
        Assert.Empty(Handle(SessionRecord(2, 4, NotifyResp(sent[^1]))).Responses);
        Assert.Equal(0, _a.Notifications.PendingCount);
        await _a.RunForAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, _a.Sender.Records.Count);
    }

    [Fact]
    public async Task NotifyLargerThanMaxUspRecordSizeIsSegmented()
    {
        const int maxRecordSize = 200;
        _a.SetParam(Controller + "E2ESession.", "MaxUSPRecordSize", maxRecordSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _a.AddSubscription("vc", "ValueChange", ProvisioningCode);
        var next = OpenSession();
        var value = new string('x', 64);

        _a.SetParam(Controller, "ProvisioningCode", value);
        await _a.PumpAsync();

        var records = _a.Sender.Records;
        Assert.True(records.Count >= 2, $"expected segments, got {records.Count} Record(s)");
        Assert.All(records, r => Assert.True(r.CalculateSize() <= maxRecordSize, $"a {r.CalculateSize()}-byte Record exceeds {maxRecordSize}"));
        Assert.Equal(PayloadSARState.Begin, records[0].SessionContext.PayloadSarState);
        Assert.Equal(PayloadSARState.Complete, records[^1].SessionContext.PayloadSarState);
        Assert.Equal(Enumerable.Range((int)next, records.Count).Select(i => (ulong)i), records.Select(r => r.SessionContext.SequenceId));
        Assert.Equal(value, Assert.Single(_a.Sent(Notify.NotificationOneofCase.ValueChange)).Notify.ValueChange.ParamValue);
    }

    [Fact]
    public async Task NotificationPersistedAsAWholeRecordByAnEarlierVersionIsStillResent()
    {
        var dir = TestAgent.NewDirectory();
        try
        {
            var notify = new Msg
            {
                Header = new Header { MsgId = "legacy-1", MsgType = Header.Types.MsgType.Notify },
                Body = new Body { Request = new Request { Notify = new Notify { SubscriptionId = "old", SendResp = true, ValueChange = new Notify.Types.ValueChange { ParamPath = ProvisioningCode, ParamValue = "kept" } } } },
            };
            var legacyRecord = new Record
            {
                Version = "1.4",
                ToId = TestAgent.ControllerId,
                FromId = TestAgent.AgentId,
                NoSessionContext = new NoSessionContextRecord { Payload = notify.ToByteString() },
            };
            using (var before = new NotifyingAgent(dir))
                before.Engine.Store.SetMeta("pending_notify/legacy-1", TestAgent.ControllerId + "\n\n" + Convert.ToBase64String(legacyRecord.ToByteArray()));

            using var after = new NotifyingAgent(dir);
            after.Notifications.Start();
            await after.PumpAsync();

            var resent = Assert.Single(after.Sent(Notify.NotificationOneofCase.ValueChange));
            Assert.Equal("legacy-1", resent.MsgId);
            Assert.Equal("kept", resent.Notify.ValueChange.ParamValue);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

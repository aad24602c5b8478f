using Google.Protobuf;
using Usp.DataModel.Records;
using Usp.Proto;
using Usp.Tests.Support;

namespace Usp.DataModel.Tests;

/// <summary>Record-level checks and malformed input: every case gets a defined outcome and nothing throws.</summary>
public sealed class RecordTests : IDisposable
{
    private readonly TestAgent _agent = new();

    public void Dispose() => _agent.Dispose();

    private static Msg GetMsg(string msgId, params string[] paths)
    {
        var get = new Get();
        get.ParamPaths.AddRange(paths);
        return new Msg
        {
            Header = new Header { MsgId = msgId, MsgType = Header.Types.MsgType.Get },
            Body = new Body { Request = new Request { Get = get } },
        };
    }

    private RecordResult Handle(byte[] bytes, string? authenticated = null) =>
        _agent.Engine.HandleRecord(bytes, new SenderIdentity(authenticated));

    private static Msg SingleResponse(RecordResult result)
    {
        Assert.False(result.Dropped, result.DropReason);
        var record = Record.Parser.ParseFrom(Assert.Single(result.ResponseBytes));
        return Msg.Parser.ParseFrom(record.NoSessionContext.Payload);
    }

    [Fact]
    public void RecordForAnotherEndpointIsDroppedWithALogLine()
    {
        var result = Handle(TestAgent.EncodeRecord(GetMsg("m1", "Device.LocalAgent."), to: "proto::someone-else"));

        Assert.True(result.Dropped);
        Assert.Empty(result.Responses);
        Assert.Contains(_agent.Log.Lines, l => l.Contains("proto::someone-else", StringComparison.Ordinal));
    }

    [Fact]
    public void FromIdThatDiffersFromTheAuthenticatedPeerIsDropped()
    {
        var result = Handle(TestAgent.EncodeRecord(GetMsg("m1", "Device.")), authenticated: TestAgent.OtherControllerId);

        Assert.Equal(ErrorCodes.InvalidRecordValue, result.DropCode);
        Assert.Empty(result.Responses);
    }

    [Fact]
    public void RecordFromADisabledControllerIsIgnoredUntilItIsEnabledAgain()
    {
        SetControllerEnable("Device.LocalAgent.Controller.2.", "false");
        byte[] get = TestAgent.EncodeRecord(GetMsg("m-disabled", "Device.LocalAgent."), from: TestAgent.OtherControllerId);

        var refused = Handle(get, authenticated: TestAgent.OtherControllerId);

        Assert.True(refused.Dropped);
        Assert.Equal(ErrorCodes.RequestDenied, refused.DropCode);
        Assert.Empty(refused.Responses);
        Assert.Contains(_agent.Log.Lines, l => l.StartsWith("warn: ", StringComparison.Ordinal)
            && l.Contains(TestAgent.OtherControllerId, StringComparison.Ordinal) && l.Contains("Device.LocalAgent.Controller.2.", StringComparison.Ordinal));

        // Nothing of the refused Record was kept: once enabled, the same msg_id is a new message, not a duplicate.
        SetControllerEnable("Device.LocalAgent.Controller.2.", "true");
        var answered = Handle(get, authenticated: TestAgent.OtherControllerId);

        Assert.Equal("m-disabled", SingleResponse(answered).Header.MsgId);
    }

    [Fact]
    public void AnEnabledControllerIsAnsweredWhileAnotherIsDisabled()
    {
        SetControllerEnable("Device.LocalAgent.Controller.2.", "false");

        var result = Handle(TestAgent.EncodeRecord(GetMsg("m-enabled", "Device.LocalAgent.")), authenticated: TestAgent.ControllerId);

        Assert.Equal(Header.Types.MsgType.GetResp, SingleResponse(result).Header.MsgType);
    }

    private void SetControllerEnable(string row, string value)
    {
        var set = _agent.Set(false, (row, [("Enable", value, true)]));
        Assert.Equal(Header.Types.MsgType.SetResp, set.Header.MsgType);
    }

    [Fact]
    public void RecordFromOurOwnEndpointIdIsDropped()
    {
        var result = Handle(TestAgent.EncodeRecord(GetMsg("m1", "Device."), from: TestAgent.AgentId));

        Assert.Equal(ErrorCodes.InvalidRecordValue, result.DropCode);
    }

    [Fact]
    public void EmptyFromIdIsDropped()
    {
        var result = Handle(TestAgent.EncodeRecord(GetMsg("m1", "Device."), from: ""));

        Assert.Equal(ErrorCodes.InvalidRecordValue, result.DropCode);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF })]
    [InlineData(new byte[] { 0x0A, 0x50, 0x31 })]
    public void Tp469_3_1_MalformedRecordOutsideSessionIsIgnored(byte[] bytes)
    {
        var result = Handle(bytes);

        Assert.Equal(ErrorCodes.RecordNotParsed, result.DropCode);
        Assert.Empty(result.Responses);
    }

    [Fact]
    public void TruncatedRecordsNeverThrowAndNeverAnswerWithData()
    {
        var full = TestAgent.EncodeRecord(GetMsg("m-trunc", "Device.LocalAgent.EndpointID"));
        for (int length = 0; length < full.Length; length++)
        {
            var result = Handle(full[..length]);
            Assert.True(result.Dropped, $"a {length}-byte prefix was not dropped");
            Assert.Empty(result.Responses);
        }
    }

    [Fact]
    public void Corpus_seeded_fuzzing_of_records_and_msgs_never_throws_stays_bounded_and_a_normal_get_is_served_after()
    {
        // Seeds from tests/corpus (encoded by protobufjs, not by us); 10k inputs, 100k with USP_LONG_TESTS=1.
        var records = FuzzCorpus.Load("usp-records.hex");
        var msgs = FuzzCorpus.Load("usp-msgs.hex");
        int iterations = FuzzCorpus.Iterations(10_000, 100_000);
        var random = new Random(469);
        GC.Collect();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < iterations; i++)
        {
            byte[] input = random.Next(4) switch
            {
                0 => RandomBytes(random),
                1 => FuzzCorpus.Mutate(records[random.Next(records.Length)], random),
                // A mutated Msg inside a valid Record reaches the Msg decoder and the handlers.
                _ => new Record
                {
                    Version = "1.4", ToId = TestAgent.AgentId, FromId = TestAgent.ControllerId,
                    NoSessionContext = new NoSessionContextRecord { Payload = ByteString.CopyFrom(FuzzCorpus.Mutate(msgs[random.Next(msgs.Length)], random)) },
                }.ToByteArray(),
            };
            var result = Handle(input);
            Assert.True(result.Dropped || result.Responses.Count <= 1, $"input {i} ({Convert.ToHexString(input)}) got {result.Responses.Count} responses");
        }
        long after = GC.GetTotalMemory(forceFullCollection: true);

        Assert.InRange(after - before, long.MinValue, 64L * 1024 * 1024);
        var response = SingleResponse(Handle(TestAgent.EncodeRecord(GetMsg("after-fuzz", "Device.LocalAgent.EndpointID"))));
        Assert.Equal(TestAgent.AgentId, response.Body.Response.GetResp.ReqPathResults[0].ResolvedPathResults[0].ResultParams["EndpointID"]);
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 300)];
        random.NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void DeeplyNestedProtobufIsDropped()
    {
        // 500 nested groups of an unknown field: the parser's recursion limit rejects it.
        var bytes = new List<byte>();
        for (int i = 0; i < 500; i++)
            bytes.Add(0x7B); // field 15, wire type 3 (start group)
        for (int i = 0; i < 500; i++)
            bytes.Add(0x7C); // field 15, wire type 4 (end group)

        var result = Handle([.. bytes]);

        Assert.Equal(ErrorCodes.RecordNotParsed, result.DropCode);
    }

    [Fact]
    public void PayloadThatIsNotAMsgIsDropped()
    {
        var record = new Record
        {
            Version = "1.4", ToId = TestAgent.AgentId, FromId = TestAgent.ControllerId,
            NoSessionContext = new NoSessionContextRecord { Payload = ByteString.CopyFrom(0xFF, 0xFF, 0x01) },
        };

        Assert.Equal(ErrorCodes.RecordNotParsed, Handle(record.ToByteArray()).DropCode);
    }

    [Fact]
    public void EmptyPayloadAndMissingMsgIdAreDropped()
    {
        var empty = new Record { Version = "1.4", ToId = TestAgent.AgentId, FromId = TestAgent.ControllerId, NoSessionContext = new NoSessionContextRecord() };
        Assert.Equal(ErrorCodes.InvalidRecordValue, Handle(empty.ToByteArray()).DropCode);

        var noId = GetMsg("", "Device.");
        Assert.Equal(ErrorCodes.InvalidRecordValue, Handle(TestAgent.EncodeRecord(noId)).DropCode);
    }

    [Fact]
    public void SessionContextRecordGetsDisconnect7106WhenTheControllersSessionModeForbidsIt()
    {
        _agent.Set(false, ("Device.LocalAgent.Controller.1.E2ESession.", [("SessionMode", "Forbid", true)]));
        var record = new Record
        {
            Version = "1.4", ToId = TestAgent.AgentId, FromId = TestAgent.ControllerId,
            SessionContext = new SessionContextRecord { SessionId = 2, SequenceId = 1, ExpectedId = 1, Payload = { GetMsg("s1", "Device.").ToByteString() } },
        };

        var reply = Assert.Single(Handle(record.ToByteArray()).Responses);

        Assert.Equal(Record.RecordTypeOneofCase.Disconnect, reply.RecordTypeCase);
        Assert.Equal(ErrorCodes.SessionContextNotAllowed, reply.Disconnect.ReasonCode);
        Assert.Equal(TestAgent.ControllerId, reply.ToId);
    }

    [Fact]
    public void Tls12PayloadSecurityWithoutSessionIsDropped()
    {
        var record = Record.Parser.ParseFrom(TestAgent.EncodeRecord(GetMsg("t1", "Device.")));
        record.PayloadSecurity = Record.Types.PayloadSecurity.Tls12;

        Assert.Equal(ErrorCodes.SecureSessionNotSupported, Handle(record.ToByteArray()).DropCode);
    }

    [Fact]
    public void UnsupportedRecordVersionIsAnsweredWithError7104()
    {
        var response = SingleResponse(Handle(TestAgent.EncodeRecord(GetMsg("v1", "Device."), version: "2.0")));

        Assert.Equal(Header.Types.MsgType.Error, response.Header.MsgType);
        Assert.Equal("v1", response.Header.MsgId);
        Assert.Equal(ErrorCodes.InvalidRecordValue, response.Body.Error.ErrCode);
    }

    [Fact]
    public void DuplicateMessageIdIsIgnoredAndNotAppliedTwice()
    {
        var add = new Msg
        {
            Header = new Header { MsgId = "dup-1", MsgType = Header.Types.MsgType.Add },
            Body = new Body { Request = new Request { Add = new Add { CreateObjs = { new Add.Types.CreateObject { ObjPath = "Device.LocalAgent.Subscription." } } } } },
        };
        var bytes = TestAgent.EncodeRecord(add);

        var first = Handle(bytes);
        var second = Handle(bytes);

        Assert.Equal(Header.Types.MsgType.AddResp, SingleResponse(first).Header.MsgType);
        Assert.True(second.Dropped);
        Assert.Empty(second.Responses);
        Assert.Single(_agent.GetInstances(true, "Device.LocalAgent.Subscription.").ReqPathResults[0].CurrInsts);
    }

    [Fact]
    public void SameMessageIdFromAnotherControllerIsNotADuplicate()
    {
        Assert.False(Handle(TestAgent.EncodeRecord(GetMsg("shared-id", "Device.")), TestAgent.ControllerId).Dropped);
        Assert.False(Handle(TestAgent.EncodeRecord(GetMsg("shared-id", "Device."), from: TestAgent.OtherControllerId)).Dropped);
    }

    [Fact]
    public void MismatchedHeaderTypeGetsError7004()
    {
        var msg = GetMsg("mm", "Device.");
        msg.Header.MsgType = Header.Types.MsgType.Set;

        var response = SingleResponse(Handle(TestAgent.EncodeRecord(msg)));

        Assert.Equal(ErrorCodes.InvalidArguments, response.Body.Error.ErrCode);
    }

    [Fact]
    public void UnsupportedRequestsGetError7001AndResponsesGetNoAnswer()
    {
        // A Notify request is for Controllers; an Agent does not handle it.
        var notify = new Msg
        {
            Header = new Header { MsgId = "nt", MsgType = Header.Types.MsgType.Notify },
            Body = new Body { Request = new Request { Notify = new Notify { SubscriptionId = "x", SendResp = true } } },
        };
        Assert.Equal(ErrorCodes.MessageNotSupported, SingleResponse(Handle(TestAgent.EncodeRecord(notify))).Body.Error.ErrCode);

        var notifyResp = new Msg
        {
            Header = new Header { MsgId = "nr", MsgType = Header.Types.MsgType.NotifyResp },
            Body = new Body { Response = new Response { NotifyResp = new NotifyResp { SubscriptionId = "x" } } },
        };
        var result = Handle(TestAgent.EncodeRecord(notifyResp));
        Assert.False(result.Dropped);
        Assert.Empty(result.Responses);
    }

    [Fact]
    public void OversizePathGetsInvalidPathSyntax()
    {
        var path = "Device.LocalAgent." + new string('A', 300);

        var r = Assert.Single(SingleResponse(Handle(TestAgent.EncodeRecord(GetMsg("long", path)))).Body.Response.GetResp.ReqPathResults);

        Assert.Equal(ErrorCodes.InvalidPathSyntax, r.ErrCode);
        Assert.Contains("256", r.ErrMsg);
    }

    [Fact]
    public void DeeplyNestedPathGetsInvalidPath()
    {
        var path = "Device." + string.Concat(Enumerable.Repeat("X.", 100));

        var r = Assert.Single(SingleResponse(Handle(TestAgent.EncodeRecord(GetMsg("deep", path[..Math.Min(path.Length, 250)])))).Body.Response.GetResp.ReqPathResults);

        Assert.Equal(ErrorCodes.InvalidPath, r.ErrCode);
    }

    [Fact]
    public void GetWithTenThousandPathsGetsError7005()
    {
        var paths = Enumerable.Range(0, 10_000).Select(_ => "Device.LocalAgent.EndpointID").ToArray();

        var response = SingleResponse(Handle(TestAgent.EncodeRecord(GetMsg("big", paths))));

        Assert.Equal(Header.Types.MsgType.Error, response.Header.MsgType);
        Assert.Equal(ErrorCodes.ResourcesExceeded, response.Body.Error.ErrCode);
    }

    [Fact]
    public void GetWithAThousandPathsIsAnswered()
    {
        var paths = Enumerable.Range(0, 1000).Select(i => i % 2 == 0 ? "Device.LocalAgent.EndpointID" : "Device.Nope").ToArray();

        var results = SingleResponse(Handle(TestAgent.EncodeRecord(GetMsg("k", paths)))).Body.Response.GetResp.ReqPathResults;

        Assert.Equal(1000, results.Count);
        Assert.Equal(500, results.Count(r => r.ErrCode == 0));
    }

    [Fact]
    public void RequestWithoutBodyOrEmptyRequestGetsADefinedError()
    {
        var noBody = new Msg { Header = new Header { MsgId = "nb", MsgType = Header.Types.MsgType.Get } };
        var noBodyResult = Handle(TestAgent.EncodeRecord(noBody));
        Assert.False(noBodyResult.Dropped);
        Assert.Empty(noBodyResult.Responses);

        var empty = new Msg { Header = new Header { MsgId = "er", MsgType = Header.Types.MsgType.Get }, Body = new Body { Request = new Request() } };
        Assert.Equal(ErrorCodes.InvalidArguments, SingleResponse(Handle(TestAgent.EncodeRecord(empty))).Body.Error.ErrCode);
    }
}

using Google.Protobuf;
using Usp.DataModel.Records;
using Usp.Proto;

namespace Usp.DataModel.Tests;

public sealed class ReadOnlyRequestPeekTests
{
    private static Record Carrying(ByteString payload) => new()
    {
        Version = "1.4",
        FromId = "proto::c",
        ToId = "proto::a",
        NoSessionContext = new NoSessionContextRecord { Payload = payload },
    };

    private static Record Carrying(Header.Types.MsgType type, Request request) =>
        Carrying(new Msg { Header = new Header { MsgId = "m1", MsgType = type }, Body = new Body { Request = request } }.ToByteString());

    [Fact]
    public void Read_only_requests_are_quick()
    {
        Assert.True(ReadOnlyRequestPeek.IsReadOnlyRequest(Carrying(Header.Types.MsgType.Get, new Request { Get = new Get { ParamPaths = { "Device." } } })));
        Assert.True(ReadOnlyRequestPeek.IsReadOnlyRequest(Carrying(Header.Types.MsgType.GetInstances, new Request { GetInstances = new GetInstances() })));
        Assert.True(ReadOnlyRequestPeek.IsReadOnlyRequest(Carrying(Header.Types.MsgType.GetSupportedDm, new Request { GetSupportedDm = new GetSupportedDM() })));
        Assert.True(ReadOnlyRequestPeek.IsReadOnlyRequest(Carrying(Header.Types.MsgType.GetSupportedProto, new Request { GetSupportedProtocol = new GetSupportedProtocol() })));
    }

    [Fact]
    public void Writes_operations_responses_sessions_and_garbage_are_not()
    {
        Assert.False(ReadOnlyRequestPeek.IsReadOnlyRequest(Carrying(Header.Types.MsgType.Set, new Request { Set = new Set() })));
        Assert.False(ReadOnlyRequestPeek.IsReadOnlyRequest(Carrying(Header.Types.MsgType.Operate, new Request { Operate = new Operate() })));
        Assert.False(ReadOnlyRequestPeek.IsReadOnlyRequest(Carrying(Header.Types.MsgType.Add, new Request { Add = new Add() })));
        Assert.False(ReadOnlyRequestPeek.IsReadOnlyRequest(Carrying(ByteString.Empty)));
        Assert.False(ReadOnlyRequestPeek.IsReadOnlyRequest(Carrying(ByteString.CopyFrom(0x0A, 0x05, 0x10)))); // truncated header
        Assert.False(ReadOnlyRequestPeek.IsReadOnlyRequest(Carrying(ByteString.CopyFrom(0x0A, 0x02, 0x10, 0x81)))); // truncated varint
        Assert.False(ReadOnlyRequestPeek.IsReadOnlyRequest(new Record { FromId = "proto::c", SessionContext = new SessionContextRecord() }));
    }

    [Fact]
    public void The_last_msg_type_wins_as_protobuf_merges_it()
    {
        // header { msg_type: GET } header { msg_type: SET }: the engine sees SET.
        Assert.False(ReadOnlyRequestPeek.IsReadOnlyRequest(Carrying(ByteString.CopyFrom(0x0A, 0x02, 0x10, 0x01, 0x0A, 0x02, 0x10, 0x04))));
        Assert.True(ReadOnlyRequestPeek.IsReadOnlyRequest(Carrying(ByteString.CopyFrom(0x0A, 0x02, 0x10, 0x04, 0x0A, 0x02, 0x10, 0x01))));
    }
}

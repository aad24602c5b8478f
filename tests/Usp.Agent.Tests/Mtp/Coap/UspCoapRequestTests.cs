using System.Net;
using System.Text;
using Google.Protobuf;
using Usp.Agent.Coap;
using Usp.Agent.Mtp.Coap;
using Usp.Proto;
using Record = Usp.Proto.Record;

namespace Usp.Agent.Tests.Mtp;

public sealed class UspCoapRequestTests
{
    private static readonly byte[] ValidRecord = new Record
    {
        Version = "1.4",
        FromId = "proto::c",
        ToId = "proto::a",
        NoSessionContext = new NoSessionContextRecord { Payload = ByteString.CopyFromUtf8("x") },
    }.ToByteArray();

    [Fact]
    public void A_POST_with_content_format_42_a_reply_to_and_a_Record_is_accepted()
    {
        bool accepted = UspCoapRequest.TryAccept(Request(CoapMethod.Post, 42, ["reply-to=coap://127.0.0.1:5690/c"], ValidRecord), out var record, out var replyTo, out var refusal);

        Assert.True(accepted);
        Assert.Equal("proto::c", record!.FromId);
        Assert.Equal(new ReplyTo("127.0.0.1", 5690, "c", false, ReplyToForm.Uri), replyTo);
        Assert.Null(refusal);
    }

    [Theory]
    [InlineData(CoapMethod.Post, 42, "other=1", "4.00", "missing reply-to")]
    [InlineData(CoapMethod.Post, 42, "reply-to=http://127.0.0.1/c", "4.00", "scheme")]
    [InlineData(CoapMethod.Post, 42, "reply-to=coaps://127.0.0.1:5684/c", "4.00", "coaps")]
    public void Reply_to_problems_are_refused_with_the_code_and_a_diagnostic(CoapMethod method, int format, string query, string code, string diagnostic)
    {
        bool accepted = UspCoapRequest.TryAccept(Request(method, (ushort)format, [query], ValidRecord), out _, out _, out var refusal);

        Assert.False(accepted);
        Assert.Equal(code, refusal!.Code.ToString());
        Assert.Contains(diagnostic, Encoding.UTF8.GetString(refusal.Payload.Span), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF })]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0x0A, 0x03, 0x31, 0x2E, 0x34 })] // a version and nothing else: no from_id, no record type
    public void Tp469_5_7_a_payload_that_is_not_a_usable_Record_gets_4_00(byte[] payload)
    {
        bool accepted = UspCoapRequest.TryAccept(Request(CoapMethod.Post, 42, ["reply-to=coap://127.0.0.1:5690/c"], payload), out _, out _, out var refusal);

        Assert.False(accepted);
        Assert.Equal("4.00", refusal!.Code.ToString());
        Assert.Contains("not a USP Record", Encoding.UTF8.GetString(refusal.Payload.Span), StringComparison.Ordinal);
    }

    private static CoapRequestContext Request(CoapMethod method, ushort contentFormat, IReadOnlyList<string> query, byte[] payload)
    {
        var message = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.FromMethod(method), Payload = payload };
        if (contentFormat != 0)
        {
            message.ContentFormat = contentFormat;
        }

        var resource = new CoapResource("e/proto::a", (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Changed)));
        return new CoapRequestContext(message, new CoapPeer(new IPEndPoint(IPAddress.Loopback, 5690)), resource, payload, query);
    }
}

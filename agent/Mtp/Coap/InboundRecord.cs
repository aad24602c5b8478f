using Usp.DataModel.Records;
using Usp.Proto;

namespace Usp.Agent.Mtp.Coap;

/// <summary>A USP Record that arrived on one of our resources, with who sent it and where its answers go.</summary>
/// <remarks>A class, not a record: a record's generated ToString would print the protobuf message through
/// Google.Protobuf's reflection-based JsonFormatter, which the trimmed binary cannot keep safely.</remarks>
internal sealed class InboundRecord(Record record, ReplyTo replyTo, SenderIdentity sender, CoapInboundServer server, OwnReplyTo ours, string? credential = null)
{
    /// <summary>Over DTLS: the Device.LocalAgent.Certificate.{i} that validated the Controller's certificate (ControllerTrust.Credential gives its roles).</summary>
    public string? Credential { get; } = credential;

    public Record Record { get; } = record;

    public ReplyTo ReplyTo { get; } = replyTo;

    /// <summary>Who the transport says sent it (<see cref="CoapSenderIdentity"/>).</summary>
    public SenderIdentity Sender { get; } = sender;

    /// <summary>The server it came to; the answers go out from the same port.</summary>
    public CoapInboundServer Server { get; } = server;

    /// <summary>Our reply-to in the answers: the resource the Record came to.</summary>
    public OwnReplyTo Ours { get; } = ours;
}

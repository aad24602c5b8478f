using System.Text;
using Google.Protobuf;
using Usp.Agent.Coap;
using Usp.Proto;

namespace Usp.Agent.Mtp.Coap;

/// <summary>
/// Checks one CoAP request to a USP Endpoint resource (R-COAP.2, 12, 13): a usable reply-to of the peer's security
/// (4.00 with the reason) and a Record that decodes (4.00). What passes is a Record to queue. POST only (R-COAP.11,
/// 4.05) and Content-Format 42 (R-COAP.6, 4.15) are <see cref="Methods"/> and <see cref="ContentFormats"/>, which
/// the resource declares and the CoAP server enforces before a body is reassembled.
/// </summary>
internal static class UspCoapRequest
{
    public static readonly IReadOnlySet<CoapMethod> Methods = new HashSet<CoapMethod> { CoapMethod.Post };

    public static readonly IReadOnlySet<ushort> ContentFormats = new HashSet<ushort> { CoapContentFormat.OctetStream };

    public static bool TryAccept(CoapRequestContext request, out Record? record, out ReplyTo? replyTo, out CoapResponse? refusal)
    {
        record = null;
        replyTo = null;
        refusal = null;
        if (!ReplyTo.TryFind(request.Query, out replyTo, out string problem))
        {
            refusal = Refuse(CoapCode.BadRequest, problem);
            return false;
        }

        if (replyTo.Secure != request.Peer.IsEncrypted)
        {
            refusal = Refuse(CoapCode.BadRequest, replyTo.Secure
                ? $"reply-to '{replyTo}' asks for coaps, which this agent's plain CoAP MTP cannot answer"
                : $"reply-to '{replyTo}' asks for plain coap, but the Record came over DTLS: answers go over coaps only");
            return false;
        }

        try
        {
            record = Record.Parser.ParseFrom(request.Payload.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            refusal = Refuse(CoapCode.BadRequest, $"the payload is not a USP Record: {e.Message} (R-COAP.13)");
            return false;
        }

        if (record.RecordTypeCase == Record.RecordTypeOneofCase.None || record.FromId.Length == 0)
        {
            refusal = Refuse(CoapCode.BadRequest, "the payload is not a USP Record: no from_id or no record type (R-COAP.13)");
            return false;
        }

        return true;
    }

    private static CoapResponse Refuse(CoapCode code, string diagnostic) =>
        new(code, Encoding.UTF8.GetBytes(diagnostic), CoapContentFormat.TextPlain);
}

using Google.Protobuf;
using Usp.DataModel.Handlers;
using Usp.DataModel.Security;
using Usp.DataModel.Store;
using Usp.Proto;

namespace Usp.DataModel.Records;

/// <summary>
/// Checks an incoming USP Record (version, to_id, from_id, mac_signature, whether its Controller is enabled, record
/// type, payload security), unwraps its Msg (directly, or through the Controller's session context), dispatches it
/// and wraps the answer in a Record addressed back to the sender. The sender's
/// <c>Device.LocalAgent.Controller.{i}.</c> row is found once per Record and used for every check that needs it.
/// </summary>
internal sealed class RecordProcessor(
    Func<string> endpointId, MessageDispatcher dispatcher, DuplicateMessageFilter duplicates,
    Func<string, DmObject?> findController, ControllerRoleAssigner roles, SessionContextHandler sessions, IEngineLog log)
{
    public const string RecordVersion = "1.4";

    public RecordResult Process(ReadOnlySpan<byte> data, SenderIdentity sender)
    {
        Record record;
        try
        {
            record = Record.Parser.ParseFrom(data);
        }
        catch (InvalidProtocolBufferException ex)
        {
            return Drop(ErrorCodes.RecordNotParsed, $"Dropped a {data.Length}-byte message that is not a USP Record: {ex.Message}");
        }
        return Process(record, sender);
    }

    public RecordResult Process(Record record, SenderIdentity sender)
    {
        var self = endpointId();
        if (record.ToId != self)
            return Drop(ErrorCodes.InvalidRecordValue, $"Dropped a Record from '{Clip(record.FromId)}' addressed to '{Clip(record.ToId)}', not to this agent ({self}).");
        if (record.FromId.Length == 0)
            return Drop(ErrorCodes.InvalidRecordValue, "Dropped a Record without from_id: there is no one to answer.");
        if (record.FromId == self)
            return Drop(ErrorCodes.InvalidRecordValue, $"Dropped a Record whose from_id is this agent's own EndpointID; endpoints sharing an ID must not talk (R-ARC.2).");
        if (sender.AuthenticatedEndpointId is { } authenticated && authenticated != record.FromId)
            return Drop(ErrorCodes.InvalidRecordValue, $"Dropped a Record claiming from_id '{Clip(record.FromId)}' from a peer authenticated as '{authenticated}'.");
        if (!record.MacSignature.IsEmpty)
            return Drop(ErrorCodes.InvalidRecordValue, $"Dropped a Record from {record.FromId} with a mac_signature: this agent supports neither E2E TLS MACs nor Record signatures, so it cannot verify it (R-E2E.30).");

        var row = findController(record.FromId);
        if (row?.GetValue("Enable") == "false")
            return Drop(ErrorCodes.RequestDenied, $"Ignored a Record from {record.FromId}: its Controller {row.Path} is disabled (Enable false).");

        switch (record.RecordTypeCase)
        {
            case Record.RecordTypeOneofCase.NoSessionContext:
                return ProcessWithoutSession(record, row, sender);
            case Record.RecordTypeOneofCase.SessionContext:
                if (!IsSupportedVersion(record.Version))
                    return Drop(ErrorCodes.InvalidRecordValue, $"Dropped a session context Record from {record.FromId} with version '{Clip(record.Version)}'; this agent speaks USP {GetSupportedProtocolHandler.Versions}.");
                // One Record can release Records buffered ahead of it, and a Msg among them may delete its own
                // Controller row: each payload finds the row as it then is.
                return sessions.Handle(record, SessionSettings.For(row), payload => ProcessSessionPayload(record.FromId, findController(record.FromId), payload, sender));
            case Record.RecordTypeOneofCase.Disconnect:
                sessions.Forget(record.FromId);
                log.Info($"{record.FromId} disconnected: {record.Disconnect.ReasonCode} {record.Disconnect.Reason}");
                return RecordResult.Nothing();
            case Record.RecordTypeOneofCase.None:
                return Drop(ErrorCodes.InvalidRecordValue, $"Dropped a Record from {record.FromId} without a record type.");
            default:
                log.Info($"{record.FromId} sent a {record.RecordTypeCase} Record; it concerns the MTP, not the engine.");
                return RecordResult.Nothing();
        }
    }

    /// <summary>Wraps an agent-originated Msg (e.g. a Notify) for a Controller: in its session context if it has one.</summary>
    public IReadOnlyList<Record> WrapOutgoing(string toId, Msg msg) =>
        sessions.WrapOutgoing(toId, msg, SessionSettings.For(findController(toId))) ?? [Wrap(toId, msg)];

    private RecordResult ProcessWithoutSession(Record record, DmObject? row, SenderIdentity sender)
    {
        if (record.PayloadSecurity != Record.Types.PayloadSecurity.Plaintext)
            return Drop(ErrorCodes.SecureSessionNotSupported, $"Dropped a Record from {record.FromId}: payload_security {record.PayloadSecurity} needs a session context (R-E2E.41), and this agent does not support E2E TLS.");
        var payload = record.NoSessionContext.Payload;
        if (payload.IsEmpty)
            return Drop(ErrorCodes.InvalidRecordValue, $"Dropped a no_session_context Record from {record.FromId} with an empty payload.");

        Msg msg;
        try
        {
            msg = Msg.Parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            return Drop(ErrorCodes.RecordNotParsed, $"Dropped a Record from {record.FromId} whose payload is not a USP Msg: {ex.Message}");
        }
        if (msg.Header is null || msg.Header.MsgId.Length == 0)
            return Drop(ErrorCodes.InvalidRecordValue, $"Dropped a Msg from {record.FromId} without a msg_id: an answer could not be matched to it.");

        if (!IsSupportedVersion(record.Version))
        {
            // R-MTP.5: the Record is faulty but its Msg is a request with a msg_id, so say why.
            log.Warning($"{record.FromId} sent a Record with version '{Clip(record.Version)}'; answered with error 7104.");
            return msg.Body?.MsgBodyCase == Body.MsgBodyOneofCase.Request
                ? RecordResult.Reply(Wrap(record.FromId, ErrorMsg(msg.Header.MsgId, ErrorCodes.InvalidRecordValue,
                    $"Record version '{Clip(record.Version)}' is not supported; this agent speaks USP {GetSupportedProtocolHandler.Versions}.")))
                : RecordResult.Drop(ErrorCodes.InvalidRecordValue, "unsupported Record version");
        }

        if (!duplicates.TryRegister(record.FromId, msg.Header.MsgId))
            return Drop(ErrorCodes.InvalidRecordValue, $"Ignored a duplicate of message {msg.Header.MsgId} from {record.FromId} (R-MSG.4).");

        var answer = Dispatch(record.FromId, row, msg, sender);
        return answer is null ? RecordResult.Nothing() : RecordResult.Reply(Wrap(record.FromId, answer));
    }

    /// <summary>
    /// One complete payload of a session context. Duplicates are already caught by sequence_id, and
    /// a Controller may resend a message after a session restart, so msg_ids are not filtered here.
    /// </summary>
    private PayloadOutcome ProcessSessionPayload(string fromId, DmObject? row, ByteString payload, SenderIdentity sender)
    {
        Msg msg;
        try
        {
            msg = Msg.Parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            return new PayloadOutcome(null, $"its payload is not a USP Msg ({ex.Message})");
        }
        if (msg.Header is null || msg.Header.MsgId.Length == 0)
            return new PayloadOutcome(null, "its Msg has no msg_id");
        return new PayloadOutcome(Dispatch(fromId, row, msg, sender), null);
    }

    private Msg? Dispatch(string fromId, DmObject? row, Msg msg, SenderIdentity sender)
    {
        roles.OnContact(row, sender.InheritedRoles);
        var controller = new RequestingController(fromId, row)
        {
            OverEncryptedMtp = sender.OverEncryptedMtp,
            CredentialRoles = sender.InheritedRoles ?? [],
        };
        return dispatcher.Dispatch(msg, controller);
    }

    private static bool IsSupportedVersion(string version)
    {
        var parts = version.Split('.');
        return parts.Length == 2 && parts[0] == "1" && parts[1].Length is > 0 and < 4 && parts[1].All(char.IsAsciiDigit);
    }

    private Record Wrap(string toId, Msg msg) => new()
    {
        Version = RecordVersion,
        ToId = toId,
        FromId = endpointId(),
        PayloadSecurity = Record.Types.PayloadSecurity.Plaintext,
        NoSessionContext = new NoSessionContextRecord { Payload = msg.ToByteString() },
    };

    private static Msg ErrorMsg(string msgId, uint code, string message) => new()
    {
        Header = new Header { MsgId = msgId, MsgType = Header.Types.MsgType.Error },
        Body = new Body { Error = new Error { ErrCode = code, ErrMsg = message } },
    };

    private RecordResult Drop(uint code, string reason)
    {
        log.Warning(reason);
        return RecordResult.Drop(code, reason);
    }

    private static string Clip(string s) => s.Length <= 80 ? s : s[..80] + "…";
}

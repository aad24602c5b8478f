using System.Security.Cryptography;
using Google.Protobuf;
using Usp.Proto;
using static Usp.Proto.SessionContextRecord.Types;

namespace Usp.DataModel.Records;

/// <summary>What became of one (reassembled) payload: the answer to send, or why the Record failed.</summary>
internal readonly record struct PayloadOutcome(Msg? Answer, string? Failure);

/// <summary>
/// E2E session contexts (TR-369 "Exchange of USP Records within an E2E Session Context"): one
/// session per Controller, sequence_id / expected_id ordering with an incoming buffer, an outgoing
/// buffer for retransmit_id requests (bounded by E2ESession.MaxRetransmitTries), payload segmentation
/// and reassembly (payload_sar_state / payloadrec_sar_state, E2ESession.MaxUSPRecordSize), expiry
/// after E2ESession.SessionExpiration seconds of silence, and a restart (a new agent-chosen
/// session_id, announced with an empty Record) whenever a Record cannot be buffered or processed.
/// Only PLAINTEXT payloads: E2E TLS is not supported (answered with a Disconnect, 7102).
/// </summary>
internal sealed class SessionContextHandler(SessionTable sessions, TimeProvider time, IEngineLog log, Func<string> endpointId)
{
    public const int MaxBufferedRecords = 64;
    public const int MaxSentRecords = 64;
    public const int MaxReassemblyBytes = 4 * 1024 * 1024;
    // R-E2E.8/9: a session whose sequence ids come within 10,000 of the maximum is replaced.
    private const ulong SequenceExhaustion = ulong.MaxValue - 10_000;

    public RecordResult Handle(Record record, SessionSettings settings, Func<ByteString, PayloadOutcome> process)
    {
        var from = record.FromId;
        var sc = record.SessionContext;
        if (settings.Forbidden)
        {
            sessions.Remove(from);
            log.Info($"{from} asked for an E2E session context, which its E2ESession.SessionMode forbids; sent a Disconnect (7106).");
            return RecordResult.Reply(Disconnect(from, ErrorCodes.SessionContextNotAllowed,
                "Session contexts are forbidden for this Controller (E2ESession.SessionMode); use no_session_context Records."));
        }
        if (record.PayloadSecurity != Record.Types.PayloadSecurity.Plaintext)
        {
            sessions.Remove(from);
            log.Info($"{from} asked for an E2E session with payload_security {record.PayloadSecurity}; sent a Disconnect (7102).");
            return RecordResult.Reply(Disconnect(from, ErrorCodes.SecureSessionNotSupported,
                "This agent does not support E2E TLS payload security; use PLAINTEXT (the MTP's DTLS protects the Records)."));
        }

        var now = time.GetUtcNow();
        var session = sessions.Find(from);
        if (session is not null && settings.Expiration > TimeSpan.Zero && now - session.LastActivity > settings.Expiration)
        {
            log.Info($"The session context {session.SessionId} with {from} expired after {settings.Expiration.TotalSeconds:0} s of silence (E2ESession.SessionExpiration).");
            sessions.Remove(from);
            session = null;
        }
        if (sc.SessionId == 0)
            return Restart(from, "its Record carried session_id 0, which no session uses (R-E2E.24)", []);
        if (session is null || session.SessionId != sc.SessionId)
        {
            // R-E2E.4 / R-E2E.6: the Controller's session_id starts a new session; our sequence_id restarts at 1.
            session = new SessionContext(sc.SessionId, record.PayloadSecurity, now);
            sessions.Set(from, session);
            log.Info($"{from} started session context {sc.SessionId}.");
        }
        session.LastActivity = now;

        foreach (var acknowledged in session.Sent.Keys.Where(k => k < sc.ExpectedId).ToList())
        {
            session.Sent.Remove(acknowledged);
            session.RetransmitCounts.Remove(acknowledged);
        }
        if (sc.SequenceId >= SequenceExhaustion)
            return Restart(from, $"its sequence_id {sc.SequenceId} is within 10,000 of the maximum (R-E2E.8)", []);
        if (sc.SequenceId < session.ExpectedIncoming)
        {
            log.Info($"Ignored a duplicate Record {sc.SequenceId} in session {sc.SessionId} from {from} (R-E2E.25).");
            return RecordResult.Nothing();
        }
        if (sc.SequenceId > session.ExpectedIncoming)
        {
            if (session.Incoming.Count >= MaxBufferedRecords)
                return Restart(from, $"more than {MaxBufferedRecords} Records arrived ahead of sequence_id {session.ExpectedIncoming}", []);
            session.Incoming[sc.SequenceId] = record;
            return RecordResult.Nothing();
        }

        var output = new List<Record>();
        var current = record;
        while (true)
        {
            if (ProcessInOrder(session, current, settings, process, output) is { } failure)
                return Restart(from, failure, output);
            if (!session.Incoming.Remove(session.ExpectedIncoming, out var next))
                break;
            current = next;
        }
        return RecordResult.Replies(output);
    }

    /// <summary>Wraps an agent-originated message (a Notify) for the Controller's session, or returns null when it has none.</summary>
    public IReadOnlyList<Record>? WrapOutgoing(string toId, Msg msg, SessionSettings settings)
    {
        var session = sessions.Find(toId);
        if (session is not null && settings.Expiration > TimeSpan.Zero && time.GetUtcNow() - session.LastActivity > settings.Expiration)
        {
            // R-E2E.7: an expired session is replaced by a new one on the next interaction.
            log.Info($"The session context {session.SessionId} with {toId} expired; starting a new one.");
            session = Start(toId);
        }
        if (session is null && settings.Mode == "Require")
            session = Start(toId);
        if (session is null)
            return null;
        session.LastActivity = time.GetUtcNow();
        var records = new List<Record>();
        Send(session, toId, msg.ToByteString(), settings, records);
        return records;
    }

    public void Forget(string controllerId) => sessions.Remove(controllerId);

    /// <summary>Handles a Record whose sequence_id is the expected one; returns why it failed, or null.</summary>
    private string? ProcessInOrder(SessionContext session, Record record, SessionSettings settings,
        Func<ByteString, PayloadOutcome> process, List<Record> output)
    {
        var sc = record.SessionContext;
        session.ExpectedIncoming = sc.SequenceId + 1;
        if (sc.RetransmitId != 0)
        {
            if (!session.Sent.TryGetValue(sc.RetransmitId, out var stored))
                return $"it asked to retransmit sequence_id {sc.RetransmitId}, which is not in the outgoing buffer";
            int count = session.RetransmitCounts.GetValueOrDefault(sc.RetransmitId);
            if (settings.MaxRetransmitTries >= 0 && count >= settings.MaxRetransmitTries)
                return $"it asked for sequence_id {sc.RetransmitId} again after {count} retransmissions (E2ESession.MaxRetransmitTries {settings.MaxRetransmitTries})";
            session.RetransmitCounts[sc.RetransmitId] = count + 1;
            output.Add(stored);
        }

        ByteString message;
        switch (sc.PayloadSarState)
        {
            case PayloadSARState.None:
                if (sc.Payload.Count == 0)
                    return null; // an empty Record: a retransmit request or a session (re)start
                if (session.Reassembly is not null)
                    return "an unsegmented payload arrived while a segmented one was being reassembled";
                message = Concat(sc.Payload);
                break;
            case PayloadSARState.Begin:
                if (session.Reassembly is not null)
                    return "a second segmented payload began before the first was complete";
                session.Reassembly = [];
                session.ReassemblySize = 0;
                return Append(session, sc);
            case PayloadSARState.Inprocess:
                if (session.Reassembly is null)
                    return "a payload segment arrived without a BEGIN segment";
                return Append(session, sc);
            case PayloadSARState.Complete:
                if (session.Reassembly is null)
                    return "a COMPLETE payload segment arrived without a BEGIN segment";
                if (Append(session, sc) is { } tooLarge)
                    return tooLarge;
                message = Concat(session.Reassembly);
                session.Reassembly = null;
                break;
            default:
                return $"payload_sar_state {(int)sc.PayloadSarState} is not defined";
        }

        var outcome = process(message);
        if (outcome.Failure is { } failure)
            return failure;
        if (outcome.Answer is { } answer)
            Send(session, record.FromId, answer.ToByteString(), settings, output);
        return null;
    }

    private static string? Append(SessionContext session, SessionContextRecord sc)
    {
        foreach (var part in sc.Payload)
        {
            session.ReassemblySize += part.Length;
            if (session.ReassemblySize > MaxReassemblyBytes)
                return $"the segmented payload grew beyond {MaxReassemblyBytes} bytes";
            session.Reassembly!.Add(part);
        }
        return null;
    }

    private static ByteString Concat(IEnumerable<ByteString> parts)
    {
        var list = parts as IReadOnlyCollection<ByteString> ?? parts.ToList();
        if (list.Count == 1)
            return list.First();
        using var buffer = new MemoryStream();
        foreach (var p in list)
            p.WriteTo(buffer);
        return ByteString.CopyFrom(buffer.ToArray());
    }

    /// <summary>Sends a payload in one Record or, above E2ESession.MaxUSPRecordSize, in segments.</summary>
    private void Send(SessionContext session, string toId, ByteString payload, SessionSettings settings, List<Record> output)
    {
        int chunk = payload.Length;
        if (settings.MaxRecordSize > 0)
        {
            // Room for the header fields at their largest (sequence ids grow) and the payload's tag and length.
            int overhead = NewRecord(session, toId, ByteString.Empty, PayloadSARState.Complete, peek: true).CalculateSize() + 24;
            int room = settings.MaxRecordSize - overhead;
            if (room < 1)
                log.Warning($"E2ESession.MaxUSPRecordSize {settings.MaxRecordSize} for {toId} cannot hold a Record header; sending unsegmented.");
            else if (payload.Length > room)
                chunk = room;
        }
        if (chunk >= payload.Length || chunk == 0)
        {
            output.Add(Keep(session, NewRecord(session, toId, payload, PayloadSARState.None)));
            return;
        }
        var bytes = payload.Memory;
        for (int offset = 0; offset < bytes.Length; offset += chunk)
        {
            int length = Math.Min(chunk, bytes.Length - offset);
            var state = offset == 0 ? PayloadSARState.Begin
                : offset + length >= bytes.Length ? PayloadSARState.Complete
                : PayloadSARState.Inprocess;
            output.Add(Keep(session, NewRecord(session, toId, ByteString.CopyFrom(bytes.Span.Slice(offset, length)), state)));
        }
    }

    private static Record Keep(SessionContext session, Record record)
    {
        session.Sent[record.SessionContext.SequenceId] = record;
        while (session.Sent.Count > MaxSentRecords)
        {
            var oldest = session.Sent.Keys.First();
            session.Sent.Remove(oldest);
            session.RetransmitCounts.Remove(oldest);
        }
        return record;
    }

    private Record NewRecord(SessionContext session, string toId, ByteString payload, PayloadSARState state, bool peek = false)
    {
        var sc = new SessionContextRecord
        {
            SessionId = session.SessionId,
            SequenceId = peek ? ulong.MaxValue : session.NextOutgoing++,
            ExpectedId = peek ? ulong.MaxValue : session.ExpectedIncoming,
            PayloadSarState = state,
            PayloadrecSarState = state,
        };
        if (!payload.IsEmpty)
            sc.Payload.Add(payload);
        return new Record
        {
            Version = RecordProcessor.RecordVersion,
            ToId = toId,
            FromId = endpointId(),
            PayloadSecurity = session.PayloadSecurity,
            SessionContext = sc,
        };
    }

    /// <summary>R-E2E.21: a Record that cannot be buffered or processed restarts the session from the agent's side.</summary>
    private RecordResult Restart(string controllerId, string reason, List<Record> output)
    {
        var session = Start(controllerId);
        log.Warning($"Restarted the session context with {controllerId} as {session.SessionId}: {reason}.");
        output.Add(Keep(session, NewRecord(session, controllerId, ByteString.Empty, PayloadSARState.None)));
        return RecordResult.Replies(output);
    }

    private SessionContext Start(string controllerId)
    {
        ulong id;
        do
            id = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)) >> 1;
        while (id <= 1);
        var session = new SessionContext(id, Record.Types.PayloadSecurity.Plaintext, time.GetUtcNow());
        sessions.Set(controllerId, session);
        return session;
    }

    private Record Disconnect(string toId, uint code, string reason) => new()
    {
        Version = RecordProcessor.RecordVersion,
        ToId = toId,
        FromId = endpointId(),
        Disconnect = new DisconnectRecord { ReasonCode = code, Reason = reason },
    };
}

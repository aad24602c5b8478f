using Google.Protobuf;
using Usp.Proto;

namespace Usp.DataModel.Records;

/// <summary>The state of one E2E session context with one Controller (at most one per Controller, R-E2E.5).</summary>
internal sealed class SessionContext(ulong sessionId, Record.Types.PayloadSecurity payloadSecurity, DateTimeOffset now)
{
    public ulong SessionId { get; } = sessionId;
    public Record.Types.PayloadSecurity PayloadSecurity { get; } = payloadSecurity;
    /// <summary>The sequence_id of the next Record to process from the Controller (our expected_id).</summary>
    public ulong ExpectedIncoming { get; set; } = 1;
    /// <summary>The sequence_id of the next Record the agent sends.</summary>
    public ulong NextOutgoing { get; set; } = 1;
    public DateTimeOffset LastActivity { get; set; } = now;
    /// <summary>Records that arrived ahead of <see cref="ExpectedIncoming"/>, by sequence_id.</summary>
    public SortedDictionary<ulong, Record> Incoming { get; } = [];
    /// <summary>Sent Records kept for retransmit_id requests until the Controller's expected_id passes them (R-E2E.16).</summary>
    public SortedDictionary<ulong, Record> Sent { get; } = [];
    public Dictionary<ulong, int> RetransmitCounts { get; } = [];
    /// <summary>Payload segments of a message being reassembled (payload_sar_state BEGIN..COMPLETE).</summary>
    public List<ByteString>? Reassembly { get; set; }
    public long ReassemblySize { get; set; }
}

/// <summary>Session contexts by Controller EndpointID.</summary>
internal sealed class SessionTable
{
    private readonly Dictionary<string, SessionContext> _byController = new(StringComparer.Ordinal);

    public bool IsUp(string endpointId) => _byController.ContainsKey(endpointId);
    public SessionContext? Find(string endpointId) => _byController.GetValueOrDefault(endpointId);
    public void Set(string endpointId, SessionContext session) => _byController[endpointId] = session;
    public void Remove(string endpointId) => _byController.Remove(endpointId);
    public void Clear() => _byController.Clear();
}

using Google.Protobuf;
using Usp.Proto;

namespace Usp.DataModel.Records;

/// <summary>
/// What the engine made of one incoming Record: the Records to send back to its sender (possibly
/// none), or why it was dropped (a 71xx code the MTP may map to its own error, e.g. CoAP 4.00).
/// </summary>
public sealed class RecordResult
{
    private RecordResult(IReadOnlyList<Record> responses, uint dropCode, string? dropReason)
    {
        Responses = responses;
        DropCode = dropCode;
        DropReason = dropReason;
    }

    public IReadOnlyList<Record> Responses { get; }
    /// <summary>Non-zero when the Record was not processed; nothing is sent back for it.</summary>
    public uint DropCode { get; }
    public string? DropReason { get; }
    public bool Dropped => DropCode != 0;

    public IEnumerable<byte[]> ResponseBytes => Responses.Select(r => r.ToByteArray());

    internal static RecordResult Reply(Record record) => new([record], 0, null);
    internal static RecordResult Replies(IReadOnlyList<Record> records) => new(records, 0, null);
    internal static RecordResult Nothing() => new([], 0, null);
    internal static RecordResult Drop(uint code, string reason) => new([], code, reason);
}

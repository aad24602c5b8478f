using System.Text;
using Usp.DataModel.Records;
using Usp.DataModel.Schema;
using Usp.DataModel.Store;
using Usp.Proto;

namespace Usp.DataModel;

/// <summary>
/// Samples the computed tables a message is about to read, before the engine takes its lock: the sources may read
/// many files (one per process), and the lock serializes every Controller. A message "reads" a table when one of its
/// paths could reach it: the path, cut at its first wildcard, search expression or reference, is a prefix of the
/// table's path or lies below it (<c>Device.</c>, <c>Device.DeviceInfo.ProcessStatus.Process.*.PID</c>), or it names
/// the table's NumberOfEntries parameter. The paths are found in the encoded Msg without decoding it: every
/// length-delimited field that begins with <c>Device.</c>, at any depth (a value that looks like a path only costs a
/// sampling). Only stale sources are sampled, so a burst of Gets samples once per freshness window.
/// </summary>
internal sealed class ComputedTableRefresher
{
    private const int MaxDepth = 10;
    private readonly Table[] _tables;

    private sealed record Table(IComputedRowSource Source, byte[][] Anchors);

    private ComputedTableRefresher(Table[] tables) => _tables = tables;

    public static ComputedTableRefresher For(DataModelSchema schema)
    {
        var tables = new List<Table>();
        Collect(schema.Root, tables);
        return new ComputedTableRefresher([.. tables]);
    }

    private static void Collect(ObjectSchema obj, List<Table> tables)
    {
        foreach (var child in obj.Children)
        {
            if (child.RowSource is { } source)
            {
                string tablePath = child.Path[..^"{i}.".Length];
                var anchors = new List<byte[]> { Encoding.UTF8.GetBytes(tablePath) };
                if (obj.FindParam(child.Name + "NumberOfEntries") is { } count)
                    anchors.Add(Encoding.UTF8.GetBytes(obj.Path + count.Name));
                tables.Add(new Table(source, [.. anchors]));
                continue;
            }
            Collect(child, tables);
        }
    }

    /// <summary>True when handling <paramref name="record"/> would first sample a computed table.</summary>
    public bool NeedsRefresh(Record record) => Touched(record, stop: true) != 0;

    public void RefreshFor(Record record) => Refresh(Touched(record, stop: false));

    public void RefreshFor(ReadOnlySpan<byte> encodedRecord) => Refresh(StaleMask() is var stale and not 0 ? Scan(encodedRecord, 0, stale, stop: false) : 0);

    public void RefreshFor(string path) => Refresh(StaleMask() is var stale and not 0 ? Overlapping(Encoding.UTF8.GetBytes(path), stale) : 0);

    private void Refresh(ulong mask)
    {
        for (int i = 0; mask != 0; i++, mask >>= 1)
        {
            if ((mask & 1) != 0)
                _tables[i].Source.Refresh();
        }
    }

    private ulong Touched(Record record, bool stop)
    {
        ulong stale = StaleMask();
        if (stale == 0)
            return 0;
        return record.RecordTypeCase switch
        {
            Record.RecordTypeOneofCase.NoSessionContext => Scan(record.NoSessionContext.Payload.Span, 0, stale, stop),
            Record.RecordTypeOneofCase.SessionContext => record.SessionContext.Payload.Aggregate(0UL, (m, p) => m | Scan(p.Span, 0, stale, stop)),
            _ => 0,
        };
    }

    /// <summary>One bit per stale source (the first 64 computed tables; more than a handful is not expected).</summary>
    private ulong StaleMask()
    {
        ulong mask = 0;
        for (int i = 0; i < _tables.Length && i < 64; i++)
        {
            if (_tables[i].Source.IsStale)
                mask |= 1UL << i;
        }
        return mask;
    }

    private ulong Scan(ReadOnlySpan<byte> message, int depth, ulong candidates, bool stop)
    {
        ulong found = 0;
        while (!message.IsEmpty && found != candidates)
        {
            if (!ReadOnlyRequestPeek.TryReadField(ref message, out _, out int wireType, out _, out ReadOnlySpan<byte> bytes))
                break;
            if (wireType != 2)
                continue;
            if (bytes.StartsWith("Device."u8))
                found |= Overlapping(bytes, candidates & ~found);
            else if (depth < MaxDepth)
                found |= Scan(bytes, depth + 1, candidates & ~found, stop);
            if (stop && found != 0)
                break;
        }
        return found;
    }

    private ulong Overlapping(ReadOnlySpan<byte> path, ulong candidates)
    {
        int cut = path.IndexOfAny("*[+#"u8);
        ReadOnlySpan<byte> fixedPart = cut < 0 ? path : path[..cut];
        ulong found = 0;
        for (int i = 0; i < _tables.Length && i < 64; i++)
        {
            if ((candidates & (1UL << i)) == 0)
                continue;
            foreach (byte[] anchor in _tables[i].Anchors)
            {
                if (anchor.AsSpan().StartsWith(fixedPart) || fixedPart.StartsWith(anchor))
                {
                    found |= 1UL << i;
                    break;
                }
            }
        }
        return found;
    }
}

using Usp.DataModel.Schema;

namespace Usp.DataModel.Store;

/// <summary>The in-memory instantiated data model with an index of every object by instance path.</summary>
public sealed class DataModelTree
{
    private readonly Dictionary<string, DmObject> _byPath = new(StringComparer.Ordinal);
    private readonly List<DmTable> _computed = [];

    internal DataModelTree(DataModelSchema schema, IEngineLog log)
    {
        Schema = schema;
        Log = log;
        Root = new DmObject(this, schema.Root, null, 0, schema.Root.Path);
        IndexSubtree(Root);
    }

    public DataModelSchema Schema { get; }
    public DmObject Root { get; }
    internal IEngineLog Log { get; }
    public int ObjectCount => _byPath.Count;

    /// <summary>Finds an object by its instance-number path (with or without the trailing '.').</summary>
    public DmObject? Find(string instancePath)
    {
        if (instancePath.Length > 0 && instancePath[^1] != '.')
            instancePath += ".";
        return _byPath.GetValueOrDefault(instancePath);
    }

    internal void RegisterComputed(DmTable table) => _computed.Add(table);

    /// <summary>
    /// Gives each computed table the rows its source sampled last (under the engine lock, before a message is
    /// handled, so one message sees one sampling). Rows that stay keep their objects. True when a row came or went.
    /// </summary>
    internal bool SyncComputedTables()
    {
        bool changed = false;
        foreach (var table in _computed)
        {
            var set = table.Schema.RowSource!.Current;
            if (ReferenceEquals(set, table.Materialized))
                continue;
            table.Materialized = set;
            var sampled = new HashSet<int>(set.Rows.Count);
            foreach (var (number, data) in set.Rows)
            {
                sampled.Add(number);
                if (table.Row(number) is { } row)
                {
                    row.RowData = data;
                    continue;
                }
                row = CreateRow(table, number);
                row.RowData = data;
                Attach(table, row);
                changed = true;
            }
            if (table.Count == sampled.Count)
                continue;
            foreach (var gone in table.Rows.Where(r => !sampled.Contains(r.InstanceNumber)).ToList())
                Detach(table, gone);
            changed = true;
        }
        return changed;
    }

    internal DmObject CreateRow(DmTable table, int instanceNumber)
    {
        var row = new DmObject(this, table.Schema, table.Parent, instanceNumber,
            table.Path + instanceNumber.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".");
        return row;
    }

    internal void Attach(DmTable table, DmObject row)
    {
        table.Insert(row);
        IndexSubtree(row);
    }

    internal void Detach(DmTable table, DmObject row)
    {
        table.Remove(row.InstanceNumber);
        foreach (var o in row.SelfAndDescendants())
            _byPath.Remove(o.Path);
    }

    /// <summary>Finds the table a row path like <c>Device.LocalAgent.MTP.3.</c> belongs to, with its number.</summary>
    internal (DmTable Table, int Number)? FindTableForRowPath(string rowPath)
    {
        var trimmed = rowPath.TrimEnd('.');
        int dot = trimmed.LastIndexOf('.');
        if (dot < 0 || !int.TryParse(trimmed.AsSpan(dot + 1), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out int number) || number < 1)
            return null;
        var tablePath = trimmed[..(dot + 1)];
        int parentDot = tablePath.TrimEnd('.').LastIndexOf('.');
        if (parentDot < 0)
            return null;
        var parent = Find(tablePath[..(parentDot + 1)]);
        var table = parent?.Table(tablePath[(parentDot + 1)..^1]);
        return table is null ? null : (table, number);
    }

    private void IndexSubtree(DmObject o)
    {
        foreach (var d in o.SelfAndDescendants())
            _byPath[d.Path] = d;
    }
}

using Usp.DataModel.Schema;
using Usp.DataModel.Store;

namespace Usp.DataModel.Paths;

/// <summary>The objects (and leaf element) a path resolved to in the instantiated data model.</summary>
public sealed class Resolution
{
    internal Resolution(PathError error) => Error = error;

    internal Resolution(LeafKind leaf, ObjectSchema? schema, List<DmObject> objects, bool endsAtTable, bool isSearch, string? leafName)
    {
        Leaf = leaf;
        Schema = schema;
        Objects = objects;
        EndsAtTable = endsAtTable;
        IsSearch = isSearch;
        LeafName = leafName;
    }

    public PathError? Error { get; }
    public bool Ok => Error is null;
    public LeafKind Leaf { get; }
    /// <summary>Schema of the addressed objects (of the table when <see cref="EndsAtTable"/>); null when a followed reference led nowhere.</summary>
    public ObjectSchema? Schema { get; }
    /// <summary>The matched objects; when <see cref="EndsAtTable"/> these are the parents of the addressed table.</summary>
    public IReadOnlyList<DmObject> Objects { get; } = [];
    /// <summary>True when an object path ends with a table name and no instance (e.g. <c>Device.LocalAgent.MTP.</c>).</summary>
    public bool EndsAtTable { get; }
    /// <summary>True when the path contains a wildcard, search expression or followed reference.</summary>
    public bool IsSearch { get; }
    /// <summary>Parameter, command (with "()") or event (with "!") name for non-object leaves.</summary>
    public string? LeafName { get; }

    /// <summary>The addressed tables when <see cref="EndsAtTable"/>.</summary>
    public IEnumerable<DmTable> Tables => EndsAtTable && Schema is not null
        ? Objects.Select(o => o.Table(Schema.Name)).OfType<DmTable>()
        : [];

    /// <summary>The objects addressed: the rows of the tables for table paths, else <see cref="Objects"/>.</summary>
    public IEnumerable<DmObject> TargetObjects => EndsAtTable ? Tables.SelectMany(t => t.Rows) : Objects;
}

using Usp.DataModel.Schema;

namespace Usp.DataModel.Store;

/// <summary>An object in the instantiated data model: a single-instance object or one row of a table.</summary>
public sealed class DmObject
{
    private readonly Dictionary<string, DmObject> _singleChildren = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DmTable> _tables = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _stored = new(StringComparer.Ordinal);
    private readonly DmTable? _ownTable;

    internal DmObject(DataModelTree tree, ObjectSchema schema, DmObject? parent, int instanceNumber, string path)
    {
        Tree = tree;
        Schema = schema;
        Parent = parent;
        InstanceNumber = instanceNumber;
        Path = path;
        _ownTable = schema.IsMultiInstance ? parent?.Table(schema.Name) : null;
        foreach (var child in schema.Children)
        {
            if (child.IsMultiInstance)
            {
                var table = new DmTable(child, this, path + child.Name + ".");
                _tables[child.Name] = table;
                if (child.RowSource is not null)
                    tree.RegisterComputed(table);
            }
            else
                _singleChildren[child.Name] = new DmObject(tree, child, this, 0, path + child.Name + ".");
        }
    }

    internal DataModelTree Tree { get; }
    public ObjectSchema Schema { get; }
    public DmObject? Parent { get; }
    /// <summary>Instance number for table rows; 0 for single-instance objects.</summary>
    public int InstanceNumber { get; }
    /// <summary>Instance path using instance numbers, ending with '.', e.g. <c>Device.LocalAgent.MTP.1.</c>.</summary>
    public string Path { get; }

    /// <summary>The provider's data behind a row of a computed table (see <see cref="IComputedRowSource"/>); null elsewhere.</summary>
    public object? RowData { get; internal set; }

    /// <summary>Values explicitly stored for this instance (computed and defaulted ones are absent).</summary>
    internal IReadOnlyDictionary<string, string> StoredValues => _stored;

    /// <summary>Stores a value (transactions, rollback and loading only: nothing else may change a value).</summary>
    internal void Store(string name, string value)
    {
        var index = KeyIndexFollowing(name);
        index?.Remove(this);
        _stored[name] = value;
        index?.Add(this);
    }

    /// <summary>Forgets a stored value: the parameter reads its default again.</summary>
    internal void Unstore(string name)
    {
        var index = KeyIndexFollowing(name);
        index?.Remove(this);
        _stored.Remove(name);
        index?.Add(this);
    }

    /// <summary>The table's unique-key index when it is built, counts this row and follows <paramref name="name"/>.</summary>
    private UniqueKeyIndex? KeyIndexFollowing(string name) =>
        _ownTable?.KeyIndexIfBuilt is { } index && index.Involves(name) && _ownTable.Row(InstanceNumber) == this ? index : null;

    public DmTable? Table(string name) => _tables.GetValueOrDefault(name);
    public DmObject? Child(string name) => _singleChildren.GetValueOrDefault(name);

    /// <summary>Immediate sub-objects in schema order: single-instance children and rows of child tables.</summary>
    public IEnumerable<DmObject> SubObjects()
    {
        foreach (var child in Schema.Children)
        {
            if (child.IsMultiInstance)
            {
                foreach (var row in _tables[child.Name].Rows)
                    yield return row;
            }
            else
            {
                yield return _singleChildren[child.Name];
            }
        }
    }

    public IEnumerable<DmTable> Tables => Schema.Children.Where(c => c.IsMultiInstance).Select(c => _tables[c.Name]);

    /// <summary>Reads a parameter: live getter, else stored value, else schema default.</summary>
    public string GetValue(ParamSchema param)
    {
        if (param.Getter is { } getter)
        {
            try
            {
                return getter(new ParamReadContext(this));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Tree.Log.Warning($"Reading {Path}{param.Name} failed ({ex.GetType().Name}: {ex.Message}); reporting its default.");
                return param.EffectiveDefault;
            }
        }
        return _stored.TryGetValue(param.Name, out var v) ? v : param.EffectiveDefault;
    }

    public string? GetValue(string paramName) => Schema.FindParam(paramName) is { } p ? GetValue(p) : null;

    /// <summary>True when the parameter has a stored value (used for writeOnceReadOnly).</summary>
    public bool HasStoredValue(string paramName) => _stored.ContainsKey(paramName);

    /// <summary>Values of all unique-key parameters, as returned in AddResp / GetInstancesResp.</summary>
    public Dictionary<string, string> UniqueKeyValues()
    {
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in Schema.UniqueKeys)
            foreach (var name in key.ParamNames)
                if (!keys.ContainsKey(name) && Schema.FindParam(name) is { } p)
                    keys[name] = GetValue(p);
        return keys;
    }

    /// <summary>This object and every object below it, depth first.</summary>
    public IEnumerable<DmObject> SelfAndDescendants()
    {
        yield return this;
        foreach (var sub in SubObjects())
            foreach (var d in sub.SelfAndDescendants())
                yield return d;
    }

    public override string ToString() => Path;
}

/// <summary>A multi-instance object (table) under one parent instance.</summary>
public sealed class DmTable
{
    private readonly SortedDictionary<int, DmObject> _rows = [];
    private UniqueKeyIndex? _keyIndex;

    internal DmTable(ObjectSchema schema, DmObject parent, string path)
    {
        Schema = schema;
        Parent = parent;
        Path = path;
    }

    public ObjectSchema Schema { get; }
    public DmObject Parent { get; }
    /// <summary>Table path, e.g. <c>Device.LocalAgent.Controller.1.MTP.</c>.</summary>
    public string Path { get; }
    /// <summary>The next instance number to hand out; numbers are never reused (R-ARC.8).</summary>
    public int NextInstance { get; internal set; } = 1;
    /// <summary>For a computed table: the sampling its rows show now.</summary>
    internal ComputedRowSet? Materialized { get; set; }
    public int Count => _rows.Count;
    public IEnumerable<DmObject> Rows => _rows.Values;
    public DmObject? Row(int instanceNumber) => _rows.GetValueOrDefault(instanceNumber);

    /// <summary>The rows' unique-key values, counted (built on first use, then kept up to date).</summary>
    internal UniqueKeyIndex KeyIndex => _keyIndex ??= new UniqueKeyIndex(this);
    internal UniqueKeyIndex? KeyIndexIfBuilt => _keyIndex;

    internal void Insert(DmObject row)
    {
        _rows.Add(row.InstanceNumber, row);
        _keyIndex?.Add(row);
    }

    internal void Remove(int instanceNumber)
    {
        if (_rows.TryGetValue(instanceNumber, out var row))
        {
            _rows.Remove(instanceNumber);
            _keyIndex?.Remove(row);
        }
    }
}

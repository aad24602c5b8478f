using Usp.DataModel.Schema;

namespace Usp.DataModel.Store;

/// <summary>
/// The instantiated data model plus its persistence: loads the tree from SQLite, runs
/// transactions and raises <see cref="ChangesCommitted"/> after each successful commit.
/// </summary>
public sealed class DataModelStore : IDisposable
{
    private readonly SqlitePersistence _db;
    private readonly IEngineLog _log;

    private DataModelStore(DataModelSchema schema, SqlitePersistence db, IEngineLog log)
    {
        _db = db;
        _log = log;
        Tree = new DataModelTree(schema, log);
    }

    public DataModelTree Tree { get; private set; }
    public DataModelSchema Schema => Tree.Schema;
    public string DatabasePath => _db.DatabasePath;
    public string JournalMode => _db.JournalMode;
    /// <summary>True until factory defaults have been applied to a new database.</summary>
    public bool NeedsFactoryDefaults => _db.IsNew;

    /// <summary>Raised after every commit that changed something, on the committing thread.</summary>
    public event EventHandler<ChangesCommittedEventArgs>? ChangesCommitted;

    internal static DataModelStore Open(DataModelSchema schema, string dataDirectory, IEngineLog log, TimeProvider time)
    {
        var db = SqlitePersistence.Open(dataDirectory, log, time);
        var store = new DataModelStore(schema, db, log);
        if (!db.IsNew)
            store.Load();
        return store;
    }

    public DmTransaction Begin(string? controllerEndpointId) => new(Tree, controllerEndpointId);

    /// <summary>Writes the transaction; on a database failure the in-memory changes are undone.</summary>
    public bool Commit(DmTransaction tx, out string? error)
    {
        error = null;
        if (tx.IsEmpty)
            return true;
        try
        {
            _db.Write(tx.Entries);
        }
        catch (DataStoreException ex)
        {
            tx.RollbackTo(0);
            error = $"The change could not be saved ({ex.Message}); nothing was changed.";
            _log.Error($"Database write failed: {ex.Message}");
            return false;
        }
        var changes = Summarize(tx);
        if (changes.Count > 0)
            ChangesCommitted?.Invoke(this, new ChangesCommittedEventArgs(changes, tx.ControllerEndpointId));
        return true;
    }

    internal string? GetMeta(string key) => _db.GetMeta(key);
    internal void SetMeta(string key, string value) => _db.SetMeta(key, value);
    internal void MarkInitialized() => _db.MarkInitialized();
    internal void DeleteMeta(string key) => _db.DeleteMeta(key);
    internal IReadOnlyList<(string Key, string Value)> ReadMetaWithPrefix(string prefix) => _db.ReadMetaWithPrefix(prefix);
    internal string QuickCheck() => _db.QuickCheck();

    /// <summary>Drops every instance and stored value (the database keeps only its meta table).</summary>
    internal void Wipe()
    {
        _db.Wipe();
        Tree = new DataModelTree(Tree.Schema, _log);
    }

    private void Load()
    {
        var tablesByPath = new Dictionary<string, DmTable>(StringComparer.Ordinal);
        foreach (var rowPath in _db.ReadRows())
        {
            if (Tree.FindTableForRowPath(rowPath) is not { } found)
            {
                _log.Warning($"Database row {rowPath} is not in this agent's data model; ignored.");
                continue;
            }
            var row = Tree.CreateRow(found.Table, found.Number);
            Tree.Attach(found.Table, row);
            found.Table.NextInstance = Math.Max(found.Table.NextInstance, found.Number + 1);
        }
        foreach (var (path, value) in _db.ReadParams())
        {
            int dot = path.LastIndexOf('.');
            var obj = dot < 0 ? null : Tree.Find(path[..(dot + 1)]);
            var param = obj?.Schema.FindParam(path[(dot + 1)..]);
            if (obj is null || param is null || param.IsComputed)
            {
                _log.Warning($"Database value for {path} is not in this agent's data model; ignored.");
                continue;
            }
            obj.Store(param.Name, value);
        }
        foreach (var (tablePath, next) in _db.ReadCounters())
        {
            int dot = tablePath.TrimEnd('.').LastIndexOf('.');
            var table = dot < 0 ? null : Tree.Find(tablePath[..(dot + 1)])?.Table(tablePath[(dot + 1)..^1]);
            if (table is not null)
                table.NextInstance = Math.Max(table.NextInstance, next);
        }
    }

    private List<DataModelChange> Summarize(DmTransaction tx)
    {
        var changes = new List<DataModelChange>();
        var created = new HashSet<string>(StringComparer.Ordinal);
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        var firstOld = new Dictionary<string, string>(StringComparer.Ordinal);
        var order = new List<(DmObject Obj, string Name)>();
        foreach (var e in tx.Entries)
        {
            switch (e)
            {
                case DmTransaction.RowAdded a:
                    created.Add(a.Row.Path);
                    changes.Add(new ObjectCreated(a.Row.Path, a.Row.UniqueKeyValues()));
                    break;
                case DmTransaction.RowDeleted d:
                    deleted.Add(d.Row.Path);
                    changes.Add(new ObjectDeleted(d.Row.Path));
                    break;
                case DmTransaction.ValueSet v:
                    var full = v.Object.Path + v.Name;
                    if (!firstOld.ContainsKey(full))
                    {
                        firstOld[full] = v.HadOld ? v.OldValue : v.Object.Schema.FindParam(v.Name)?.EffectiveDefault ?? "";
                        order.Add((v.Object, v.Name));
                    }
                    break;
            }
        }
        foreach (var (obj, name) in order)
        {
            if (IsUnder(obj.Path, created) || IsUnder(obj.Path, deleted))
                continue;
            var now = obj.StoredValues.GetValueOrDefault(name) ?? "";
            var old = firstOld[obj.Path + name];
            if (!string.Equals(old, now, StringComparison.Ordinal))
                changes.Add(new ParameterChanged(obj.Path + name, old, now));
        }
        return changes;

        // Each prefix of the path that ends at a '.' is looked up: a factory-defaults commit creates thousands of rows.
        static bool IsUnder(string path, HashSet<string> roots)
        {
            if (roots.Count == 0)
                return false;
            var lookup = roots.GetAlternateLookup<ReadOnlySpan<char>>();
            for (int dot = path.IndexOf('.'); dot >= 0; dot = path.IndexOf('.', dot + 1))
            {
                if (lookup.Contains(path.AsSpan(0, dot + 1)))
                    return true;
            }
            return false;
        }
    }

    public void Dispose() => _db.Dispose();
}

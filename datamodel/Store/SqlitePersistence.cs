namespace Usp.DataModel.Store;

/// <summary>
/// The database behind the tree: row paths, stored parameter values and per-table instance
/// counters, in SQLite (WAL, synchronous=FULL) so each committed message survives a crash whole.
/// </summary>
internal sealed class SqlitePersistence : IDisposable
{
    public const string FileName = "usp-agent.db";
    private const int SchemaVersion = 1;
    private readonly SqliteDatabase _db;
    private WriteStatements? _write;

    private SqlitePersistence(SqliteDatabase db, string path)
    {
        _db = db;
        DatabasePath = path;
    }

    public string DatabasePath { get; }
    /// <summary>True when the file did not exist or had no data model yet.</summary>
    public bool IsNew { get; private set; }

    /// <summary>Opens (or creates) the database; a corrupt file is moved aside and a fresh one created.</summary>
    public static SqlitePersistence Open(string dataDirectory, IEngineLog log, TimeProvider time)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, FileName);
        try
        {
            return OpenChecked(path);
        }
        // Only a damaged file is moved aside; "locked", "read-only" and the like must not cost the configuration.
        catch (DataStoreException ex) when (ex.IsCorruption)
        {
            var aside = $"{path}.corrupt-{time.GetUtcNow():yyyyMMddTHHmmssZ}";
            log.Error($"Database {path} is unusable ({ex.Message}); moved it to {aside} and rebuilding it from factory defaults.");
            MoveAside(path, aside);
            return OpenChecked(path);
        }
    }

    private static void MoveAside(string path, string aside)
    {
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            if (File.Exists(path + suffix))
                File.Move(path + suffix, aside + suffix, overwrite: true);
        }
    }

    private static SqlitePersistence OpenChecked(string path)
    {
        var db = SqliteDatabase.Open(path);
        try
        {
            var integrity = db.Scalar("PRAGMA integrity_check;");
            if (!string.Equals(integrity, "ok", StringComparison.Ordinal))
                throw new DataStoreException(DataStoreException.CorruptResultCode, $"integrity_check reported: {integrity}");
            db.Execute("PRAGMA journal_mode=WAL;");
            db.Execute("PRAGMA synchronous=FULL;");
            db.Execute("""
                CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS rows(path TEXT PRIMARY KEY);
                CREATE TABLE IF NOT EXISTS params(path TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS counters(table_path TEXT PRIMARY KEY, next INTEGER NOT NULL);
                """);
            var p = new SqlitePersistence(db, path);
            p.IsNew = p.GetMeta("initialized") is null;
            if (p.GetMeta("schema_version") is { } v && v != SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
                throw new DataStoreException(DataStoreException.CorruptResultCode, $"database schema version {v} is not {SchemaVersion}");
            return p;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    public string JournalMode => _db.Scalar("PRAGMA journal_mode;") ?? "";

    public string? GetMeta(string key)
    {
        using var select = _db.Prepare("SELECT value FROM meta WHERE key=?1").Bind(1, key);
        return select.Step() ? select.GetString(0) : null;
    }

    public void SetMeta(string key, string value)
    {
        using var upsert = _db.Prepare("INSERT INTO meta(key,value) VALUES(?1,?2) ON CONFLICT(key) DO UPDATE SET value=excluded.value");
        upsert.Bind(1, key).Bind(2, value).Run();
    }

    public void DeleteMeta(string key)
    {
        using var delete = _db.Prepare("DELETE FROM meta WHERE key=?1");
        delete.Bind(1, key).Run();
    }

    public IReadOnlyList<(string Key, string Value)> ReadMetaWithPrefix(string prefix)
    {
        using var select = _db.Prepare("SELECT key, value FROM meta WHERE substr(key,1,length(?1))=?1 ORDER BY key").Bind(1, prefix);
        var list = new List<(string, string)>();
        while (select.Step())
            list.Add((select.GetString(0), select.GetString(1)));
        return list;
    }

    /// <summary>SQLite's quick_check: "ok" or the problems it found.</summary>
    public string QuickCheck() => _db.Scalar("PRAGMA quick_check;") ?? "no answer";

    public void MarkInitialized()
    {
        SetMeta("schema_version", SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        SetMeta("initialized", "true");
        IsNew = false;
    }

    /// <summary>Removes the data model (not the meta table) for a factory reset.</summary>
    public void Wipe()
    {
        _db.InTransaction(() => _db.Execute("DELETE FROM rows; DELETE FROM params; DELETE FROM counters; DELETE FROM meta WHERE key='initialized';"));
        IsNew = true;
    }

    public IReadOnlyList<string> ReadRows()
    {
        using var select = _db.Prepare("SELECT path FROM rows ORDER BY length(path), path");
        var rows = new List<string>();
        while (select.Step())
            rows.Add(select.GetString(0));
        return rows;
    }

    public IReadOnlyList<(string Path, string Value)> ReadParams()
    {
        using var select = _db.Prepare("SELECT path, value FROM params");
        var values = new List<(string, string)>();
        while (select.Step())
            values.Add((select.GetString(0), select.GetString(1)));
        return values;
    }

    public IReadOnlyList<(string TablePath, int Next)> ReadCounters()
    {
        using var select = _db.Prepare("SELECT table_path, next FROM counters");
        var counters = new List<(string, int)>();
        while (select.Step())
            counters.Add((select.GetString(0), checked((int)select.GetInt64(1))));
        return counters;
    }

    /// <summary>Writes a message's changes atomically; throws <see cref="DataStoreException"/> on failure.</summary>
    public void Write(IReadOnlyList<DmTransaction.TxEntry> entries)
    {
        var write = _write ??= new WriteStatements(_db);
        _db.InTransaction(() =>
        {
            foreach (var e in entries)
            {
                switch (e)
                {
                    case DmTransaction.ValueSet v:
                        write.UpsertParam.Bind(1, v.Object.Path + v.Name).Bind(2, v.NewValue).Run();
                        break;
                    case DmTransaction.RowAdded a:
                        write.InsertRow.Bind(1, a.Row.Path).Run();
                        write.UpsertCounter.Bind(1, a.Table.Path).Bind(2, a.NewNext).Run();
                        break;
                    case DmTransaction.RowDeleted d:
                        // Everything under "Device.X.3." sorts from that path up to "Device.X.3/" ('/' follows '.'):
                        // a range of each table's primary key, not a scan of the whole table for every deleted row.
                        string end = d.Row.Path[..^1] + "/";
                        write.DeleteRows.Bind(1, d.Row.Path).Bind(2, end).Run();
                        write.DeleteParams.Bind(1, d.Row.Path).Bind(2, end).Run();
                        write.DeleteCounters.Bind(1, d.Row.Path).Bind(2, end).Run();
                        break;
                }
            }
        });
    }

    public void Dispose()
    {
        _write?.Dispose();
        _db.Dispose();
    }

    /// <summary>The statements every commit uses, prepared once per connection.</summary>
    private sealed class WriteStatements(SqliteDatabase db) : IDisposable
    {
        public SqliteStatement UpsertParam { get; } = db.Prepare("INSERT INTO params(path,value) VALUES(?1,?2) ON CONFLICT(path) DO UPDATE SET value=excluded.value");
        public SqliteStatement InsertRow { get; } = db.Prepare("INSERT OR REPLACE INTO rows(path) VALUES(?1)");
        public SqliteStatement UpsertCounter { get; } = db.Prepare("INSERT INTO counters(table_path,next) VALUES(?1,?2) ON CONFLICT(table_path) DO UPDATE SET next=max(next, excluded.next)");
        public SqliteStatement DeleteRows { get; } = db.Prepare("DELETE FROM rows WHERE path >= ?1 AND path < ?2");
        public SqliteStatement DeleteParams { get; } = db.Prepare("DELETE FROM params WHERE path >= ?1 AND path < ?2");
        public SqliteStatement DeleteCounters { get; } = db.Prepare("DELETE FROM counters WHERE table_path >= ?1 AND table_path < ?2");

        public void Dispose()
        {
            UpsertParam.Dispose();
            InsertRow.Dispose();
            UpsertCounter.Dispose();
            DeleteRows.Dispose();
            DeleteParams.Dispose();
            DeleteCounters.Dispose();
        }
    }
}

using Microsoft.Data.Sqlite;

namespace Usp.DataModel.Store;

/// <summary>
/// The database behind the tree: row paths, stored parameter values and per-table instance
/// counters, in SQLite (WAL, synchronous=FULL) so each committed message survives a crash whole.
/// </summary>
internal sealed class SqlitePersistence : IDisposable
{
    public const string FileName = "usp-agent.db";
    private const int SqliteCorrupt = 11;
    private const int SqliteNotADatabase = 26;
    private const int SchemaVersion = 1;
    private readonly SqliteConnection _connection;

    private SqlitePersistence(SqliteConnection connection, string path)
    {
        _connection = connection;
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
        catch (Exception ex) when (ex is CorruptDatabaseException or SqliteException { SqliteErrorCode: SqliteCorrupt or SqliteNotADatabase })
        {
            var aside = $"{path}.corrupt-{time.GetUtcNow():yyyyMMddTHHmmssZ}";
            log.Error($"Database {path} is unusable ({ex.Message}); moved it to {aside} and rebuilding it from factory defaults.");
            SqliteConnection.ClearAllPools();
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
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            var integrity = Scalar(connection, "PRAGMA integrity_check;");
            if (!string.Equals(integrity, "ok", StringComparison.Ordinal))
                throw new CorruptDatabaseException($"integrity_check reported: {integrity}");
            Execute(connection, "PRAGMA journal_mode=WAL;");
            Execute(connection, "PRAGMA synchronous=FULL;");
            Execute(connection, """
                CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS rows(path TEXT PRIMARY KEY);
                CREATE TABLE IF NOT EXISTS params(path TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS counters(table_path TEXT PRIMARY KEY, next INTEGER NOT NULL);
                """);
            var p = new SqlitePersistence(connection, path);
            p.IsNew = p.GetMeta("initialized") is null;
            if (p.GetMeta("schema_version") is { } v && v != SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
                throw new CorruptDatabaseException($"database schema version {v} is not {SchemaVersion}");
            return p;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public string JournalMode => Scalar(_connection, "PRAGMA journal_mode;") ?? "";

    public string? GetMeta(string key)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT value FROM meta WHERE key=$k";
        cmd.Parameters.AddWithValue("$k", key);
        return cmd.ExecuteScalar() as string;
    }

    public void SetMeta(string key, string value)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "INSERT INTO meta(key,value) VALUES($k,$v) ON CONFLICT(key) DO UPDATE SET value=excluded.value";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$v", value);
        cmd.ExecuteNonQuery();
    }

    public void DeleteMeta(string key)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "DELETE FROM meta WHERE key=$k";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.ExecuteNonQuery();
    }

    public IReadOnlyList<(string Key, string Value)> ReadMetaWithPrefix(string prefix)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT key, value FROM meta WHERE substr(key,1,length($p))=$p ORDER BY key";
        cmd.Parameters.AddWithValue("$p", prefix);
        using var r = cmd.ExecuteReader();
        var list = new List<(string, string)>();
        while (r.Read())
            list.Add((r.GetString(0), r.GetString(1)));
        return list;
    }

    /// <summary>SQLite's quick_check: "ok" or the problems it found.</summary>
    public string QuickCheck() => Scalar(_connection, "PRAGMA quick_check;") ?? "no answer";

    public void MarkInitialized()
    {
        SetMeta("schema_version", SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        SetMeta("initialized", "true");
        IsNew = false;
    }

    /// <summary>Removes the data model (not the meta table) for a factory reset.</summary>
    public void Wipe()
    {
        using var tx = _connection.BeginTransaction();
        Execute(_connection, "DELETE FROM rows; DELETE FROM params; DELETE FROM counters; DELETE FROM meta WHERE key='initialized';", tx);
        tx.Commit();
        IsNew = true;
    }

    public IEnumerable<string> ReadRows() => ReadColumn("SELECT path FROM rows ORDER BY length(path), path");

    public IEnumerable<(string Path, string Value)> ReadParams()
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT path, value FROM params";
        using var r = cmd.ExecuteReader();
        while (r.Read())
            yield return (r.GetString(0), r.GetString(1));
    }

    public IEnumerable<(string TablePath, int Next)> ReadCounters()
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT table_path, next FROM counters";
        using var r = cmd.ExecuteReader();
        while (r.Read())
            yield return (r.GetString(0), r.GetInt32(1));
    }

    /// <summary>Writes a message's changes atomically; throws <see cref="SqliteException"/> on failure.</summary>
    public void Write(IReadOnlyList<DmTransaction.TxEntry> entries)
    {
        using var tx = _connection.BeginTransaction();
        using var upsertParam = Prepare("INSERT INTO params(path,value) VALUES($a,$b) ON CONFLICT(path) DO UPDATE SET value=excluded.value", tx);
        using var insertRow = Prepare("INSERT OR REPLACE INTO rows(path) VALUES($a)", tx);
        using var upsertCounter = Prepare("INSERT INTO counters(table_path,next) VALUES($a,$b) ON CONFLICT(table_path) DO UPDATE SET next=max(next, excluded.next)", tx);
        using var deleteRows = Prepare("DELETE FROM rows WHERE substr(path,1,length($a))=$a", tx);
        using var deleteParams = Prepare("DELETE FROM params WHERE substr(path,1,length($a))=$a", tx);
        using var deleteCounters = Prepare("DELETE FROM counters WHERE substr(table_path,1,length($a))=$a", tx);
        foreach (var e in entries)
        {
            switch (e)
            {
                case DmTransaction.ValueSet v:
                    Run(upsertParam, v.Object.Path + v.Name, v.NewValue);
                    break;
                case DmTransaction.RowAdded a:
                    Run(insertRow, a.Row.Path, null);
                    Run(upsertCounter, a.Table.Path, a.NewNext);
                    break;
                case DmTransaction.RowDeleted d:
                    Run(deleteRows, d.Row.Path, null);
                    Run(deleteParams, d.Row.Path, null);
                    Run(deleteCounters, d.Row.Path, null);
                    break;
            }
        }
        tx.Commit();
    }

    private SqliteCommand Prepare(string sql, SqliteTransaction tx)
    {
        var cmd = _connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$a", "");
        if (sql.Contains("$b", StringComparison.Ordinal))
            cmd.Parameters.AddWithValue("$b", "");
        return cmd;
    }

    private static void Run(SqliteCommand cmd, string a, object? b)
    {
        cmd.Parameters["$a"].Value = a;
        if (b is not null)
            cmd.Parameters["$b"].Value = b;
        cmd.ExecuteNonQuery();
    }

    private IEnumerable<string> ReadColumn(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        while (r.Read())
            yield return r.GetString(0);
    }

    private static string? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar()?.ToString();
    }

    private static void Execute(SqliteConnection c, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public void Dispose() => _connection.Dispose();

    private sealed class CorruptDatabaseException(string message) : Exception(message);
}

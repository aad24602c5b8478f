using SQLitePCL;

namespace Usp.DataModel.Store;

/// <summary>
/// One open SQLite database through SQLitePCLRaw's C API: statements, scripts and transactions, every
/// failure raised as <see cref="DataStoreException"/>. Not thread-safe; the store serialises its callers.
/// </summary>
internal sealed class SqliteDatabase : IDisposable
{
    // Another process (the offline CLI) may hold the write lock for one short transaction.
    private const int BusyTimeoutMilliseconds = 5000;
    private readonly sqlite3 _handle;

    static SqliteDatabase() => Batteries_V2.Init();

    private SqliteDatabase(sqlite3 handle) => _handle = handle;

    public static SqliteDatabase Open(string path)
    {
        var rc = raw.sqlite3_open_v2(path, out var handle, raw.SQLITE_OPEN_READWRITE | raw.SQLITE_OPEN_CREATE, null);
        if (rc != raw.SQLITE_OK)
        {
            var message = handle is null ? raw.sqlite3_errstr(rc).utf8_to_string() : raw.sqlite3_errmsg(handle).utf8_to_string();
            handle?.Dispose();
            throw new DataStoreException(rc, $"cannot open {path}: {message}");
        }
        var database = new SqliteDatabase(handle);
        database.Check(raw.sqlite3_busy_timeout(handle, BusyTimeoutMilliseconds));
        return database;
    }

    /// <summary>Runs one or more statements that return nothing.</summary>
    public void Execute(string sql) => Check(raw.sqlite3_exec(_handle, sql));

    public SqliteStatement Prepare(string sql)
    {
        Check(raw.sqlite3_prepare_v2(_handle, sql, out var statement));
        return new SqliteStatement(this, statement);
    }

    /// <summary>The first column of the first row, or null when there is no row.</summary>
    public string? Scalar(string sql)
    {
        using var statement = Prepare(sql);
        return statement.Step() ? statement.GetString(0) : null;
    }

    /// <summary>Runs <paramref name="work"/> in one write transaction: committed whole or rolled back whole.</summary>
    public void InTransaction(Action work)
    {
        Execute("BEGIN IMMEDIATE;");
        try
        {
            work();
            Execute("COMMIT;");
        }
        catch
        {
            // A failed COMMIT can leave the transaction open; SQLite may also have rolled it back already.
            if (raw.sqlite3_get_autocommit(_handle) == 0)
                raw.sqlite3_exec(_handle, "ROLLBACK;");
            throw;
        }
    }

    internal int Check(int rc)
    {
        if (rc is raw.SQLITE_OK or raw.SQLITE_ROW or raw.SQLITE_DONE)
            return rc;
        throw new DataStoreException(rc, raw.sqlite3_errmsg(_handle).utf8_to_string());
    }

    public void Dispose() => _handle.Dispose();
}

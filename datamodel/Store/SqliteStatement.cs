using SQLitePCL;

namespace Usp.DataModel.Store;

/// <summary>A prepared statement: bind by 1-based index, step through rows, reset to run it again.</summary>
internal sealed class SqliteStatement : IDisposable
{
    private readonly SqliteDatabase _database;
    private readonly sqlite3_stmt _handle;

    internal SqliteStatement(SqliteDatabase database, sqlite3_stmt handle)
    {
        _database = database;
        _handle = handle;
    }

    public SqliteStatement Bind(int index, string value)
    {
        _database.Check(raw.sqlite3_bind_text(_handle, index, value));
        return this;
    }

    public SqliteStatement Bind(int index, long value)
    {
        _database.Check(raw.sqlite3_bind_int64(_handle, index, value));
        return this;
    }

    /// <summary>Advances to the next row: true while there is one.</summary>
    public bool Step() => _database.Check(raw.sqlite3_step(_handle)) == raw.SQLITE_ROW;

    /// <summary>Runs a statement that returns no rows, then makes it ready to run again.</summary>
    public void Run()
    {
        try
        {
            Step();
        }
        finally
        {
            Reset();
        }
    }

    public string GetString(int column) => raw.sqlite3_column_text(_handle, column).utf8_to_string() ?? "";

    public long GetInt64(int column) => raw.sqlite3_column_int64(_handle, column);

    public void Reset()
    {
        raw.sqlite3_reset(_handle);
        raw.sqlite3_clear_bindings(_handle);
    }

    public void Dispose() => _handle.Dispose();
}

namespace Usp.DataModel.Store;

/// <summary>The database refused an operation: SQLite's primary result code and its message.</summary>
public sealed class DataStoreException(int resultCode, string message) : Exception(message)
{
    internal const int CorruptResultCode = 11;
    private const int NotADatabaseResultCode = 26;

    /// <summary>SQLite's primary result code (extended codes reduced to their low byte).</summary>
    public int ResultCode { get; } = resultCode & 0xFF;

    /// <summary>The file is damaged or is not a database, as opposed to locked, read-only or full.</summary>
    public bool IsCorruption => ResultCode is CorruptResultCode or NotADatabaseResultCode;
}

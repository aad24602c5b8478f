namespace Usp.DataModel.Schema;

/// <summary>
/// A data model area whose table rows only the agent creates, from something it discovers or is configured with
/// (HAL devices, thermal zones): the engine keeps the table's rows equal to <see cref="AgentRows"/> when it opens
/// and after a factory reset, matching rows by <c>Alias</c>, so instance numbers (and the subscriptions naming
/// them) stay the same from one start to the next.
/// </summary>
public interface IAgentRowSource
{
    /// <summary>The rows each agent-owned table must have, in order.</summary>
    IReadOnlyList<AgentRowSet> AgentRows { get; }

    /// <summary>
    /// Called under the engine lock once the rows exist, with the row of each entry of <paramref name="set"/> in the
    /// order given (path <c>Device.IoTCapability.3.</c>, and the values stored in it, to read the configuration a
    /// Controller wrote). Keep only what is needed: the rows are the engine's.
    /// </summary>
    void RowsBound(AgentRowSet set, IReadOnlyList<Store.DmObject> rows);
}

/// <summary>The rows of one agent-owned table, e.g. <c>Device.IoTCapability.</c>.</summary>
public sealed record AgentRowSet(string TablePath, IReadOnlyList<AgentRow> Rows);

/// <summary>
/// One agent-owned row: its <c>Alias</c> (the key it is found by again) and the stored values it starts with
/// (applied only when the row is created; a Controller's later writes are kept).
/// </summary>
public sealed record AgentRow(string Alias, IReadOnlyDictionary<string, string> InitialValues);

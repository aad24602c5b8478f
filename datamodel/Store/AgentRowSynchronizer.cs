using Usp.DataModel.Schema;

namespace Usp.DataModel.Store;

/// <summary>
/// Makes agent-owned tables hold exactly the rows their <see cref="IAgentRowSource"/> lists: rows are found by
/// Alias, missing ones created with their initial values, rows no longer listed deleted. One commit per table.
/// </summary>
internal static class AgentRowSynchronizer
{
    public static void Sync(DataModelStore store, IAgentRowSource source, IEngineLog log)
    {
        foreach (var set in source.AgentRows)
        {
            if (store.Tree.Find(ParentPath(set.TablePath)) is not { } parent || parent.Table(TableName(set.TablePath)) is not { } table)
                throw new InvalidOperationException($"{set.TablePath} is not a table of the data model.");
            var byAlias = new Dictionary<string, DmObject>(StringComparer.Ordinal);
            var tx = store.Begin(null);
            foreach (var row in table.Rows.ToList())
            {
                string alias = row.GetValue("Alias") ?? "";
                if (set.Rows.Any(r => r.Alias == alias) && byAlias.TryAdd(alias, row))
                    continue;
                tx.DeleteRow(row);
            }
            var rows = new List<DmObject>(set.Rows.Count);
            foreach (var wanted in set.Rows)
            {
                if (!byAlias.TryGetValue(wanted.Alias, out var row))
                {
                    row = tx.AddRow(table);
                    tx.SetValue(row, "Alias", wanted.Alias);
                    foreach (var (name, value) in wanted.InitialValues)
                        SetPath(tx, row, name, value);
                    byAlias[wanted.Alias] = row;
                }
                rows.Add(row);
            }
            if (!store.Commit(tx, out var error))
                throw new IOException($"Cannot write the rows of {set.TablePath}: {error}");
            source.RowsBound(set, rows);
            log.Info($"{set.TablePath}: {set.Rows.Count} agent-owned row(s).");
        }
    }

    /// <summary>Sets <paramref name="relativePath"/> (<c>Name</c> or <c>LevelSensor.HighLevelThreshold</c>) below the row.</summary>
    private static void SetPath(DmTransaction tx, DmObject row, string relativePath, string value)
    {
        var obj = row;
        var parts = relativePath.Split('.');
        for (int i = 0; i < parts.Length - 1; i++)
            obj = obj.Child(parts[i]) ?? throw new InvalidOperationException($"{row.Path}{relativePath}: no object {parts[i]}.");
        var param = obj.Schema.FindParam(parts[^1]);
        if (param is null || param.IsComputed)
            throw new InvalidOperationException($"{row.Path}{relativePath} is not a stored parameter.");
        tx.SetValue(obj, param.Name, value);
    }

    private static string ParentPath(string tablePath)
    {
        string trimmed = tablePath.TrimEnd('.');
        return trimmed[..(trimmed.LastIndexOf('.') + 1)];
    }

    private static string TableName(string tablePath)
    {
        string trimmed = tablePath.TrimEnd('.');
        return trimmed[(trimmed.LastIndexOf('.') + 1)..];
    }
}

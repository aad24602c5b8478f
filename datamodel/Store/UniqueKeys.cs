using System.Globalization;
using Usp.DataModel.Schema;

namespace Usp.DataModel.Store;

/// <summary>
/// Unique-key rules for table rows: conflict detection and agent-assigned key values (R-ADD.5). Each check is a
/// lookup in the table's <see cref="UniqueKeyIndex"/>, not a scan of its rows.
/// </summary>
public static class UniqueKeys
{
    /// <summary>
    /// The first key whose values on <paramref name="row"/> equal those of another row of the same
    /// table, or null. Keys with an empty string part are not compared (not yet configured).
    /// </summary>
    public static UniqueKey? FindConflict(DmObject row)
    {
        var table = row.Parent?.Table(row.Schema.Name);
        if (table is null)
            return null;
        foreach (var key in row.Schema.UniqueKeys)
        {
            var mine = Values(row, key);
            if (mine.Any(v => v.Length == 0))
                continue;
            if (HeldByAnother(row, key, mine, table))
                return key;
        }
        return null;
    }

    /// <summary>Gives every non-functional key parameter that has no stored value a unique value.</summary>
    public static void AssignMissing(DmObject row, DmTransaction tx)
    {
        var table = row.Parent?.Table(row.Schema.Name);
        if (table is null)
            return;
        foreach (var key in row.Schema.UniqueKeys.Where(k => !k.Functional))
        {
            foreach (var name in key.ParamNames)
            {
                var param = row.Schema.FindParam(name);
                if (param is null || param.IsComputed || row.HasStoredValue(name) && row.GetValue(param).Length > 0)
                    continue;
                for (int n = row.InstanceNumber; ; n++)
                {
                    string candidate = param.Type == ParamType.String
                        ? "cpe-" + n.ToString(CultureInfo.InvariantCulture)
                        : n.ToString(CultureInfo.InvariantCulture);
                    tx.SetValue(row, name, candidate);
                    if (!HeldByAnother(row, key, Values(row, key), table))
                        break;
                }
            }
        }
    }

    private static bool HeldByAnother(DmObject row, UniqueKey key, string[] mine, DmTable table)
    {
        var index = table.KeyIndex;
        if (!index.Covers(key))
            return table.Rows.Any(o => o != row && Values(o, key).SequenceEqual(mine, StringComparer.Ordinal));
        bool counted = table.Row(row.InstanceNumber) == row;
        return index.Count(key, mine) > (counted ? 1 : 0);
    }

    private static string[] Values(DmObject row, UniqueKey key) =>
        key.ParamNames.Select(n => row.GetValue(n) ?? "").ToArray();
}

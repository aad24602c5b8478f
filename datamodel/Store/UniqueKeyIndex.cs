using System.Globalization;
using System.Text;
using Usp.DataModel.Schema;

namespace Usp.DataModel.Store;

/// <summary>
/// How many rows of one table hold each unique-key value, so that a duplicate check (every Add, every Set of a key,
/// every agent-assigned key) is one lookup instead of a scan of the table: adding N rows stays linear in N. Built on
/// the first check and kept up to date by <see cref="DmTable"/> (rows inserted and removed) and
/// <see cref="DmObject"/> (stored values changed, also by a rollback). A key with a part computed live by a getter
/// cannot be followed and is left to a scan (<see cref="Covers"/> false).
/// </summary>
internal sealed class UniqueKeyIndex
{
    private readonly Dictionary<UniqueKey, Dictionary<string, int>> _counts = [];
    private readonly HashSet<string> _paramNames = new(StringComparer.Ordinal);

    public UniqueKeyIndex(DmTable table)
    {
        foreach (var key in table.Schema.UniqueKeys)
        {
            if (key.ParamNames.Any(n => table.Schema.FindParam(n) is not { IsComputed: false }))
                continue;
            _counts[key] = new Dictionary<string, int>(StringComparer.Ordinal);
            _paramNames.UnionWith(key.ParamNames);
        }
        foreach (var row in table.Rows)
            Add(row);
    }

    public bool Covers(UniqueKey key) => _counts.ContainsKey(key);

    /// <summary>True when a change of this parameter can change a followed key's value.</summary>
    public bool Involves(string paramName) => _paramNames.Contains(paramName);

    /// <summary>How many rows of the table hold <paramref name="values"/> as <paramref name="key"/>.</summary>
    public int Count(UniqueKey key, IReadOnlyList<string> values) => _counts[key].GetValueOrDefault(Composite(values));

    public void Add(DmObject row)
    {
        foreach (var (key, counts) in _counts)
        {
            var composite = Composite(row, key);
            counts[composite] = counts.GetValueOrDefault(composite) + 1;
        }
    }

    public void Remove(DmObject row)
    {
        foreach (var (key, counts) in _counts)
        {
            var composite = Composite(row, key);
            if (counts.TryGetValue(composite, out int n))
            {
                if (n <= 1)
                    counts.Remove(composite);
                else
                    counts[composite] = n - 1;
            }
        }
    }

    private static string Composite(DmObject row, UniqueKey key) =>
        key.ParamNames.Count == 1 ? row.GetValue(key.ParamNames[0]) ?? "" : Composite(key.ParamNames.Select(n => row.GetValue(n) ?? "").ToArray());

    /// <summary>One string per value combination: each part carries its length, so no separator can be confused with a value.</summary>
    private static string Composite(IReadOnlyList<string> values)
    {
        if (values.Count == 1)
            return values[0];
        var text = new StringBuilder();
        foreach (var v in values)
            text.Append(v.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(v);
        return text.ToString();
    }
}

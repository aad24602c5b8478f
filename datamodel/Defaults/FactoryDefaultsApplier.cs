using System.Globalization;
using Usp.DataModel.Schema;
using Usp.DataModel.Store;

namespace Usp.DataModel.Defaults;

/// <summary>
/// Writes factory-default values into the data model, creating the table rows they name with the
/// given instance numbers. Unknown paths are skipped with one warning each; access rules do not
/// apply (the agent itself is configuring). <c>${Name}</c> placeholders are replaced first.
/// </summary>
internal static class FactoryDefaultsApplier
{
    public static void Apply(DmTransaction tx, DataModelTree tree, IEnumerable<FactoryDefault> entries,
        IReadOnlyDictionary<string, string> placeholders, TimeProvider time, IEngineLog log)
    {
        var created = new List<DmObject>();
        foreach (var entry in entries)
        {
            int dot = entry.Path.LastIndexOf('.');
            if (dot <= 0 || dot == entry.Path.Length - 1)
            {
                log.Warning($"Factory defaults line {entry.Line}: {entry.Path} is not a parameter path; skipped.");
                continue;
            }
            var obj = EnsureObject(tx, tree, entry.Path[..(dot + 1)], created, time);
            var param = obj?.Schema.FindParam(entry.Path[(dot + 1)..]);
            if (obj is null || param is null)
            {
                log.Warning($"Factory defaults line {entry.Line}: {entry.Path} is not in this agent's data model; skipped.");
                continue;
            }
            if (param.IsComputed)
            {
                log.Warning($"Factory defaults line {entry.Line}: {entry.Path} is computed live by the agent; skipped.");
                continue;
            }
            var value = Substitute(entry.Value, placeholders);
            var check = ValueValidator.Check(param, value);
            if (!check.Ok)
            {
                log.Warning($"Factory defaults line {entry.Line}: {check.Error} Skipped.");
                continue;
            }
            tx.SetValue(obj, param.Name, check.Value);
        }
        foreach (var row in created)
            UniqueKeys.AssignMissing(row, tx);
    }

    public static string Substitute(string value, IReadOnlyDictionary<string, string> placeholders)
    {
        if (!value.Contains("${", StringComparison.Ordinal))
            return value;
        foreach (var (name, replacement) in placeholders)
            value = value.Replace("${" + name + "}", replacement, StringComparison.Ordinal);
        return value;
    }

    /// <summary>Finds the object at an instance-number path, creating missing rows on the way.</summary>
    private static DmObject? EnsureObject(DmTransaction tx, DataModelTree tree, string objectPath, List<DmObject> created, TimeProvider time)
    {
        var existing = tree.Find(objectPath);
        if (existing is not null)
            return existing;
        var parts = objectPath.TrimEnd('.').Split('.');
        if (parts[0] != "Device")
            return null;
        var current = tree.Root;
        for (int i = 1; i < parts.Length; i++)
        {
            if (current.Child(parts[i]) is { } single)
            {
                current = single;
                continue;
            }
            var table = current.Table(parts[i]);
            if (table is null || table.Schema.RowSource is not null || i + 1 >= parts.Length ||
                !int.TryParse(parts[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
                return null;
            i++;
            var row = table.Row(n);
            if (row is null)
            {
                row = tx.AddRow(table, n);
                RowInitializer.Run(row, tx, null, time.GetUtcNow());
                created.Add(row);
            }
            current = row;
        }
        return current;
    }
}

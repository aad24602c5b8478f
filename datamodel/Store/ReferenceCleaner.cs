using Usp.DataModel.Schema;

namespace Usp.DataModel.Store;

/// <summary>
/// Keeps strong references valid after deletions (R-ARC.12): a non-list reference to a deleted
/// object becomes empty, and the item is removed from list-valued ones.
/// </summary>
internal static class ReferenceCleaner
{
    /// <param name="deletedRowPaths">Instance paths (ending in '.') of the deleted rows.</param>
    public static void RemoveReferencesTo(DmTransaction tx, DataModelTree tree, IReadOnlySet<string> deletedRowPaths)
    {
        if (deletedRowPaths.Count == 0)
            return;
        foreach (var obj in tree.Root.SelfAndDescendants().ToList())
        {
            foreach (var param in obj.Schema.Params)
            {
                if (param.Reference != ReferenceKind.Strong || !obj.StoredValues.TryGetValue(param.Name, out var value) || value.Length == 0)
                    continue;
                var items = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                var kept = items.Where(item => !PointsInto(item, deletedRowPaths)).ToArray();
                if (kept.Length != items.Length)
                    tx.SetValue(obj, param.Name, param.IsList ? string.Join(',', kept) : "");
            }
        }
    }

    private static bool PointsInto(string reference, IReadOnlySet<string> deleted)
    {
        var path = reference.EndsWith('.') ? reference : reference + ".";
        for (int dot = path.IndexOf('.'); dot >= 0; dot = path.IndexOf('.', dot + 1))
        {
            if (deleted.Contains(path[..(dot + 1)]))
                return true;
        }
        return false;
    }
}

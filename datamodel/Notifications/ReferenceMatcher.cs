using Usp.DataModel.Paths;
using Usp.DataModel.Schema;
using Usp.DataModel.Store;

namespace Usp.DataModel.Notifications;

/// <summary>
/// Decides whether a change, command or event falls under a Subscription's ReferenceList entry.
/// Entries are resolved against the current tree, so wildcards and search expressions apply.
/// </summary>
internal static class ReferenceMatcher
{
    /// <summary>ValueChange: the entry names the parameter, or an object it lies under.</summary>
    public static bool CoversParameter(DataModelTree tree, string reference, string parameterPath)
    {
        var r = new PathResolver(tree).Resolve(reference);
        if (!r.Ok)
            return false;
        return r.Leaf switch
        {
            LeafKind.Parameter => r.Objects.Any(o => o.Path + r.LeafName == parameterPath),
            LeafKind.Object => r.TargetObjects.Any(o => parameterPath.StartsWith(o.Path, StringComparison.Ordinal)),
            _ => false,
        };
    }

    /// <summary>Every (object, parameter) a ValueChange entry covers.</summary>
    public static IEnumerable<(DmObject Object, ParamSchema Param)> Parameters(DataModelTree tree, string reference)
    {
        var r = new PathResolver(tree).Resolve(reference);
        if (!r.Ok)
            yield break;
        if (r.Leaf == LeafKind.Parameter)
        {
            foreach (var o in r.Objects)
                if (o.Schema.FindParam(r.LeafName!) is { } p)
                    yield return (o, p);
        }
        else if (r.Leaf == LeafKind.Object)
        {
            foreach (var top in r.TargetObjects)
                foreach (var o in top.SelfAndDescendants())
                    foreach (var p in o.Schema.Params)
                        yield return (o, p);
        }
    }

    /// <summary>ObjectCreation/ObjectDeletion: the entry names the row's table, or the row itself.</summary>
    public static bool CoversRow(DataModelTree tree, string reference, string rowPath)
    {
        var tablePath = TablePathOf(rowPath);
        var r = new PathResolver(tree).Resolve(reference.EndsWith('.') ? reference : reference + ".");
        if (r.Ok && r.Leaf == LeafKind.Object && r.EndsAtTable && r.Tables.Any(t => t.Path == tablePath))
            return true;
        // The row of a deletion is gone from the tree, so compare an instance path textually.
        var normalized = reference.EndsWith('.') ? reference : reference + ".";
        return normalized == rowPath;
    }

    /// <summary>Event/OperationComplete: the entry names <c>obj.Name!</c>/<c>obj.Name()</c>, or an object at or above it.</summary>
    public static bool CoversElement(DataModelTree tree, string reference, string objectPath, string elementName)
    {
        var r = new PathResolver(tree).Resolve(reference);
        if (!r.Ok)
            return false;
        if (r.Leaf is LeafKind.Event or LeafKind.Command)
            return r.LeafName == elementName && r.Objects.Any(o => o.Path == objectPath);
        return r.Leaf == LeafKind.Object && r.TargetObjects.Any(o => objectPath.StartsWith(o.Path, StringComparison.Ordinal));
    }

    private static string TablePathOf(string rowPath)
    {
        var trimmed = rowPath.TrimEnd('.');
        return trimmed[..(trimmed.LastIndexOf('.') + 1)];
    }
}

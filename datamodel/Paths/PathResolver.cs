using Usp.DataModel.Schema;
using Usp.DataModel.Store;

namespace Usp.DataModel.Paths;

/// <summary>
/// The single path resolver: turns instantiated data model paths (instance numbers, unique-key
/// addressing, wildcards, search expressions, reference following) into objects of the tree.
/// </summary>
public sealed class PathResolver(DataModelTree tree)
{
    private const int MaxReferenceDepth = 8;

    public Resolution Resolve(string path) => Resolve(path, 0);

    private Resolution Resolve(string path, int referenceDepth)
    {
        if (!PathParser.TryParse(path, out var parsed, out var error))
            return new Resolution(error);
        return Resolve(parsed, referenceDepth);
    }

    internal Resolution Resolve(ParsedPath path, int referenceDepth = 0)
    {
        var segments = path.Segments;
        int count = path.Leaf == LeafKind.Object ? segments.Count : segments.Count - 1;
        var current = new List<DmObject> { tree.Root };
        ObjectSchema? schema = tree.Schema.Root;
        ObjectSchema? pendingTable = null;
        bool unknownSchema = false;

        for (int i = 1; i < count; i++)
        {
            var seg = segments[i];
            if (unknownSchema)
                continue;
            if (pendingTable is not null)
            {
                if (seg.Kind == SegmentKind.Name)
                    return Invalid($"{pendingTable.Path[..^4]} is a table: put an instance number, [key==\"value\"], '*' or a search expression before '{seg.Name}'.");
                if (seg.Kind == SegmentKind.Expression && ValidateExpression(seg.Expression!, pendingTable) is { } exprError)
                    return new Resolution(exprError);
                var rows = new List<DmObject>();
                foreach (var parent in current)
                {
                    var table = parent.Table(pendingTable.Name)!;
                    switch (seg.Kind)
                    {
                        case SegmentKind.InstanceNumber:
                            if (table.Row(seg.Number) is { } row)
                                rows.Add(row);
                            break;
                        case SegmentKind.Wildcard:
                            rows.AddRange(table.Rows);
                            break;
                        case SegmentKind.Expression:
                            foreach (var r in table.Rows)
                            {
                                if (Matches(seg.Expression!, r, referenceDepth))
                                    rows.Add(r);
                            }
                            break;
                    }
                }
                current = rows;
                schema = pendingTable;
                pendingTable = null;
                continue;
            }

            if (seg.Kind != SegmentKind.Name)
                return Invalid($"{schema!.Path} is not a table; '{seg.Name}' cannot select an instance of it.");

            if (schema!.FindChild(seg.Name) is { } child)
            {
                if (seg.Follow is not null)
                    return Invalid($"{child.Path} is an object; only reference parameters can be followed with '+'.");
                if (child.IsMultiInstance)
                {
                    pendingTable = child;
                }
                else
                {
                    current = current.Select(o => o.Child(child.Name)!).ToList();
                    schema = child;
                }
                continue;
            }
            if (schema.FindParam(seg.Name) is { } param && seg.Follow is not null)
            {
                if (!param.IsReference)
                    return Invalid($"{schema.Path}{param.Name} is not a reference parameter, so '+' cannot follow it.");
                var followed = new List<DmObject>();
                foreach (var o in current)
                    followed.AddRange(FollowReference(o, param, seg.Follow, referenceDepth));
                if (followed.Count == 0)
                {
                    unknownSchema = true;
                    schema = null;
                    current = [];
                    continue;
                }
                schema = followed[0].Schema;
                current = followed.Where(o => o.Schema == schema).Distinct().ToList();
                continue;
            }
            if (schema.FindParam(seg.Name) is not null)
                return Invalid($"{schema.Path}{seg.Name} is a parameter, not an object; a path can only continue after it with '+' (reference following).");
            return Invalid($"{schema.Path} has no object named '{seg.Name}'.");
        }

        string? leafName = null;
        if (path.Leaf != LeafKind.Object && !unknownSchema)
        {
            var leaf = segments[^1];
            if (pendingTable is not null)
                return Invalid($"{pendingTable.Path[..^4]} is a table: address an instance before '{leaf.Name}'.");
            bool known = path.Leaf switch
            {
                LeafKind.Parameter => schema!.FindParam(leaf.Name) is not null,
                LeafKind.Command => schema!.FindCommand(leaf.Name) is not null,
                _ => schema!.FindEvent(leaf.Name) is not null,
            };
            if (!known)
            {
                string what = path.Leaf switch { LeafKind.Parameter => "parameter", LeafKind.Command => "command", _ => "event" };
                string hint = path.Leaf == LeafKind.Parameter && schema!.FindChild(leaf.Name) is not null ? $" ({leaf.Name} is an object: end the path with '.')" : "";
                return Invalid($"{schema!.Path} has no {what} named '{leaf.Name}'{hint}.");
            }
            leafName = leaf.Name;
        }
        else if (path.Leaf != LeafKind.Object)
        {
            leafName = segments[^1].Name;
        }

        bool endsAtTable = pendingTable is not null;
        return new Resolution(path.Leaf, endsAtTable ? pendingTable : schema, current, endsAtTable, path.IsSearch, leafName);
    }

    /// <summary>Objects a reference parameter points at (one list item, or all with <c>#*+</c>).</summary>
    private IEnumerable<DmObject> FollowReference(DmObject obj, ParamSchema param, ReferenceFollow follow, int referenceDepth)
    {
        if (referenceDepth >= MaxReferenceDepth)
            yield break;
        var value = obj.GetValue(param);
        if (value.Length == 0)
            yield break;
        var items = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        IEnumerable<string> chosen = follow.Index is { } n
            ? (n <= items.Length ? [items[n - 1]] : [])
            : items;
        foreach (var item in chosen)
        {
            var target = item.EndsWith('.') ? item : item + ".";
            var r = Resolve(target, referenceDepth + 1);
            if (r.Ok && !r.EndsAtTable)
                foreach (var o in r.Objects)
                    yield return o;
        }
    }

    private static Resolution Invalid(string message) => new(new PathError(ErrorCodes.InvalidPath, message));

    /// <summary>Checks that expression parameters exist and that operators and constants suit their types.</summary>
    private static PathError? ValidateExpression(SearchExpression expr, ObjectSchema table)
    {
        foreach (var c in expr.Components)
        {
            var schema = table;
            ParamSchema? param = null;
            for (int i = 0; i < c.RelativePath.Count; i++)
            {
                var seg = c.RelativePath[i];
                bool last = i == c.RelativePath.Count - 1;
                if (!last && seg.Follow is null)
                {
                    var child = schema.FindChild(seg.Name);
                    if (child is null)
                        return new PathError(ErrorCodes.InvalidPath, $"{expr.Text}: {schema.Path} has no object named '{seg.Name}'.");
                    if (child.IsMultiInstance)
                        return new PathError(ErrorCodes.InvalidPathSyntax, $"{expr.Text}: '{c.RelativePathText}' descends into the table {child.Path}; use a separate expression for it.");
                    schema = child;
                    continue;
                }
                param = schema.FindParam(seg.Name);
                if (param is null)
                    return new PathError(ErrorCodes.InvalidPath, $"{expr.Text}: {schema.Path} has no parameter named '{seg.Name}'.");
                if (!last)
                {
                    if (!param.IsReference)
                        return new PathError(ErrorCodes.InvalidPath, $"{expr.Text}: {schema.Path}{param.Name} is not a reference parameter, so '+' cannot follow it.");
                    param = null; // the rest lies behind a reference and is checked per instance
                    break;
                }
            }
            if (param is not null && Comparison.Check(param, c) is { } problem)
                return new PathError(ErrorCodes.InvalidPathSyntax, $"{expr.Text}: {problem}");
        }
        return null;
    }

    private bool Matches(SearchExpression expr, DmObject row, int referenceDepth)
    {
        foreach (var c in expr.Components)
        {
            bool any = false;
            foreach (var (obj, param) in ExpressionTargets(row, c.RelativePath, referenceDepth))
            {
                if (Comparison.Check(param, c) is null && Comparison.Evaluate(param, obj.GetValue(param), c))
                {
                    any = true;
                    break;
                }
            }
            if (!any)
                return false;
        }
        return true;
    }

    private IEnumerable<(DmObject, ParamSchema)> ExpressionTargets(DmObject start, IReadOnlyList<PathSegment> rel, int referenceDepth)
    {
        IEnumerable<DmObject> current = [start];
        for (int i = 0; i < rel.Count; i++)
        {
            var seg = rel[i];
            bool last = i == rel.Count - 1;
            var next = new List<DmObject>();
            foreach (var o in current)
            {
                if (last)
                {
                    if (o.Schema.FindParam(seg.Name) is { } p)
                        yield return (o, p);
                    continue;
                }
                if (seg.Follow is not null)
                {
                    if (o.Schema.FindParam(seg.Name) is { } refParam)
                        next.AddRange(FollowReference(o, refParam, seg.Follow, referenceDepth));
                }
                else if (o.Child(seg.Name) is { } child)
                {
                    next.Add(child);
                }
            }
            current = next;
        }
    }
}

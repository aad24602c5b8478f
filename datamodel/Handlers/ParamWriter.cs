using Usp.DataModel.Schema;
using Usp.DataModel.Security;
using Usp.DataModel.Store;

namespace Usp.DataModel.Handlers;

/// <summary>Sets one parameter of an object for Set and Add, enforcing access, type and key rules.</summary>
internal static class ParamWriter
{
    /// <summary>Sets <paramref name="relativeName"/> (which may go through single-instance sub-objects).</summary>
    public static ParamFailure? TrySet(RequestContext ctx, DmObject obj, string relativeName, string value, bool creating,
        out string canonical)
    {
        canonical = value;
        var target = obj;
        var parts = relativeName.Split('.');
        for (int i = 0; i < parts.Length - 1; i++)
        {
            var next = target.Child(parts[i]);
            if (next is null)
                return new ParamFailure(relativeName, ErrorCodes.UnsupportedParameter, $"{obj.Schema.Path} has no parameter '{relativeName}'.");
            target = next;
        }
        var name = parts[^1];
        var param = target.Schema.FindParam(name);
        if (param is null)
            return new ParamFailure(relativeName, ErrorCodes.UnsupportedParameter, $"{obj.Schema.Path} has no parameter '{relativeName}'.");
        if (!ctx.Can(target.Path + name, Permission.Write))
            return new ParamFailure(relativeName, ErrorCodes.PermissionDenied, $"This Controller may not write {target.Path}{name}.");
        if (param.Access == ParamAccess.ReadOnly)
            return new ParamFailure(relativeName, ErrorCodes.ParameterNotWritable, $"{param.Owner.Path}{name} is read-only.");

        var check = ValueValidator.Check(param, value);
        if (!check.Ok)
            return new ParamFailure(relativeName, check.ErrorCode, check.Error!);
        canonical = check.Value;
        if (param.Reference == ReferenceKind.Strong && canonical.Length > 0)
        {
            if (ResolveReferences(ctx, param, canonical, out var error) is not { } resolved)
                return new ParamFailure(relativeName, ErrorCodes.InvalidValue, error!);
            canonical = resolved;
        }

        if (!creating)
        {
            bool unchanged = string.Equals(target.GetValue(param), canonical, StringComparison.Ordinal);
            if (!unchanged && param.Access == ParamAccess.WriteOnceReadOnly && target.HasStoredValue(name) && target.GetValue(param).Length > 0)
                return new ParamFailure(relativeName, ErrorCodes.ParameterNotWritable,
                    $"{param.Owner.Path}{name} is writeOnceReadOnly and already set to '{target.GetValue(param)}'.");
            if (!unchanged && target.Schema.IsNonFunctionalKey(name))
                return new ParamFailure(relativeName, ErrorCodes.ParameterNotWritable,
                    $"{param.Owner.Path}{name} is part of a non-functional unique key and cannot change after creation (R-KEY.1).");
        }
        ctx.Tx.SetValue(target, name, canonical);
        return null;
    }

    /// <summary>
    /// A strong reference must name existing objects (R-ARC.12); key-addressed items are stored
    /// with instance numbers, as references are always read back that way.
    /// </summary>
    private static string? ResolveReferences(RequestContext ctx, ParamSchema param, string value, out string? error)
    {
        error = null;
        var items = param.IsList ? value.Split(',') : [value];
        var resolved = new string[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            var item = items[i].Trim();
            var r = ctx.Resolver.Resolve(item.EndsWith('.') ? item : item + ".");
            if (!r.Ok || r.Leaf != Paths.LeafKind.Object || r.EndsAtTable || r.Objects.Count != 1)
            {
                error = $"{param.Name} must reference an existing object; '{item}' does not resolve to exactly one.";
                return null;
            }
            resolved[i] = r.Objects[0].Path.TrimEnd('.');
        }
        return string.Join(',', resolved);
    }
}

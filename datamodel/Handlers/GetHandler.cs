using Usp.DataModel.Paths;
using Usp.DataModel.Security;
using Usp.DataModel.Store;
using Usp.Proto;

namespace Usp.DataModel.Handlers;

/// <summary>Get: reads parameters and object trees, one result (or error) per requested path.</summary>
internal sealed class GetHandler
{
    public Body Handle(Get get, RequestContext ctx)
    {
        var resp = new GetResp();
        int maxDepth = get.MaxDepth == 0 ? int.MaxValue : (int)Math.Min(get.MaxDepth, int.MaxValue);
        foreach (var path in get.ParamPaths)
            resp.ReqPathResults.Add(Resolve(path, maxDepth, ctx));
        return new Body { Response = new Response { GetResp = resp } };
    }

    private static GetResp.Types.RequestedPathResult Resolve(string path, int maxDepth, RequestContext ctx)
    {
        var result = new GetResp.Types.RequestedPathResult { RequestedPath = path };
        var r = ctx.Resolver.Resolve(path);
        if (r.Error is { } error)
            return Fail(result, error.Code, error.Message);

        switch (r.Leaf)
        {
            case LeafKind.Parameter:
                if (r.Schema is null)
                    return result; // a followed reference led nowhere
                if (r.Objects.Count == 0 && !r.IsSearch)
                    return Fail(result, ErrorCodes.InvalidPath, $"{path} does not exist: the object instance is not in the data model.");
                var param = r.Schema.FindParam(r.LeafName!)!;
                foreach (var obj in r.Objects)
                {
                    if (!ctx.Can(obj.Path, param.Name, Permission.Read))
                        continue;
                    var resolved = new GetResp.Types.ResolvedPathResult { ResolvedPath = obj.Path };
                    resolved.ResultParams[param.Name] = ReadValue(obj, param, ctx);
                    result.ResolvedPathResults.Add(resolved);
                }
                if (result.ResolvedPathResults.Count == 0 && !r.IsSearch)
                    return Fail(result, ErrorCodes.InvalidPath, $"{path} does not exist.");
                return result;

            case LeafKind.Object:
                if (r.Objects.Count == 0 && !r.IsSearch && !r.EndsAtTable)
                    return Fail(result, ErrorCodes.InvalidPath, $"{path} does not exist: no such object instance.");
                foreach (var target in r.TargetObjects)
                    AddTree(result, target, 1, maxDepth, ctx);
                // R-GET.1: an object the Controller may not read is treated as not present.
                if (result.ResolvedPathResults.Count == 0 && !r.IsSearch && !r.EndsAtTable
                    && r.Objects.All(o => !ctx.Can(o.Path, Permission.Read)))
                    return Fail(result, ErrorCodes.InvalidPath, $"{path} does not exist: no such object instance.");
                return result;

            default:
                return Fail(result, ErrorCodes.InvalidPath, $"{path} names a command or event; Get reads objects and parameters.");
        }
    }

    /// <summary>Adds the object and its sub-objects down to <paramref name="maxDepth"/> (1 = the object only).</summary>
    private static void AddTree(GetResp.Types.RequestedPathResult result, DmObject obj, int depth, int maxDepth, RequestContext ctx)
    {
        // An unreadable object hides its own parameters only: a Permission with a higher Order may
        // still open an object below it.
        if (obj.Schema.Params.Count > 0 && ctx.Can(obj.Path, Permission.Read))
        {
            var resolved = new GetResp.Types.ResolvedPathResult { ResolvedPath = obj.Path };
            foreach (var p in obj.Schema.Params)
            {
                if (ctx.Can(obj.Path, p.Name, Permission.Read))
                    resolved.ResultParams[p.Name] = ReadValue(obj, p, ctx);
            }
            // TP-469 2.21: an instance whose parameters are all unreadable is not reported at all.
            if (resolved.ResultParams.Count > 0)
                result.ResolvedPathResults.Add(resolved);
        }
        if (depth >= maxDepth)
            return;
        foreach (var sub in obj.SubObjects())
            AddTree(result, sub, depth + 1, maxDepth, ctx);
    }

    /// <summary>A secured parameter reads as "" unless the Controller holds a SecuredRole (TR-369 "SecuredRoles").</summary>
    private static string ReadValue(DmObject obj, Schema.ParamSchema param, RequestContext ctx) =>
        param.IsSecured && !ctx.Can(obj.Path, param.Name, Permission.ReadSecured) ? "" : obj.GetValue(param);

    private static GetResp.Types.RequestedPathResult Fail(GetResp.Types.RequestedPathResult r, uint code, string message)
    {
        r.ErrCode = code;
        r.ErrMsg = message;
        r.ResolvedPathResults.Clear();
        return r;
    }
}

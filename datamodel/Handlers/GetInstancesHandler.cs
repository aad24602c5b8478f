using Usp.DataModel.Paths;
using Usp.DataModel.Security;
using Usp.DataModel.Store;
using Usp.Proto;
using static Usp.Proto.GetInstancesResp.Types;

namespace Usp.DataModel.Handlers;

/// <summary>GetInstances: lists table rows (and with first_level_only false, all rows below them) with their unique keys.</summary>
internal sealed class GetInstancesHandler
{
    public Body Handle(GetInstances request, RequestContext ctx)
    {
        var resp = new GetInstancesResp();
        foreach (var path in request.ObjPaths)
            resp.ReqPathResults.Add(Resolve(path, request.FirstLevelOnly, ctx));
        return new Body { Response = new Response { GetInstancesResp = resp } };
    }

    private static RequestedPathResult Resolve(string path, bool firstLevelOnly, RequestContext ctx)
    {
        var result = new RequestedPathResult { RequestedPath = path };
        var r = ctx.Resolver.Resolve(path);
        if (r.Error is { } error)
            return Fail(result, error.Code, error.Message);
        if (r.Leaf != LeafKind.Object)
            return Fail(result, ErrorCodes.InvalidPath, $"{path} is not an object path; GetInstances takes paths ending in '.'.");
        if (r.Objects.Count == 0 && !r.IsSearch && !r.EndsAtTable)
            return Fail(result, ErrorCodes.ObjectDoesNotExist, $"{path} does not exist.");

        var rows = new List<DmObject>();
        if (r.EndsAtTable)
        {
            foreach (var row in r.TargetObjects)
                rows.AddRange(firstLevelOnly ? [row] : RowsAtAndBelow(row));
        }
        else
        {
            foreach (var obj in r.Objects)
            {
                if (obj.InstanceNumber > 0)
                    rows.AddRange(firstLevelOnly ? [obj] : RowsAtAndBelow(obj));
                else if (firstLevelOnly)
                    rows.AddRange(obj.Tables.SelectMany(t => t.Rows));
                else
                    rows.AddRange(RowsAtAndBelow(obj));
            }
        }
        foreach (var row in rows)
        {
            if (!ctx.Can(row.Path, Permission.ReadInstances))
                continue;
            var instance = new CurrInstance { InstantiatedObjPath = row.Path };
            foreach (var (name, value) in row.UniqueKeyValues())
            {
                if (ctx.Can(row.Path + name, Permission.Read))
                    instance.UniqueKeys[name] = value;
            }
            result.CurrInsts.Add(instance);
        }
        return result;
    }

    private static IEnumerable<DmObject> RowsAtAndBelow(DmObject obj) => obj.SelfAndDescendants().Where(o => o.InstanceNumber > 0);

    private static RequestedPathResult Fail(RequestedPathResult r, uint code, string message)
    {
        r.ErrCode = code;
        r.ErrMsg = message;
        return r;
    }
}

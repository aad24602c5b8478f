using Usp.DataModel.Paths;
using Usp.DataModel.Schema;
using Usp.DataModel.Security;
using Usp.DataModel.Store;
using Usp.Proto;
using static Usp.Proto.DeleteResp.Types;
using static Usp.Proto.DeleteResp.Types.DeletedObjectResult.Types;
using static Usp.Proto.DeleteResp.Types.DeletedObjectResult.Types.OperationStatus.Types;

namespace Usp.DataModel.Handlers;

/// <summary>
/// Delete: removes the rows each obj_path matches (with everything below them). Rows that cannot go
/// are reported as UnaffectedPathErrors, or fail the whole message when allow_partial is false.
/// </summary>
internal sealed class DeleteHandler
{
    public Body Handle(Delete delete, RequestContext ctx)
    {
        var resp = new DeleteResp();
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in delete.ObjPaths)
        {
            var result = new DeletedObjectResult { RequestedPath = path, OperStatus = new OperationStatus() };
            var r = ctx.Resolver.Resolve(path);
            PathError? error = r.Error;
            if (error is null && r.Leaf != LeafKind.Object)
                error = new PathError(ErrorCodes.InvalidPathSyntax, $"{path} is not an object path; Delete takes instance paths ending in '.'.");
            else if (error is null && r.EndsAtTable)
                error = new PathError(ErrorCodes.InvalidPath, $"{path} is a table; address its instances (e.g. {path}1. or {path}*.).");
            else if (error is null && r.Schema is { IsMultiInstance: false })
                error = new PathError(ErrorCodes.ObjectNotATable, $"{path} is a single-instance object; only table rows can be deleted.");
            if (error is { } e)
            {
                if (!delete.AllowPartial)
                    return UspErrors.Body(e.Code, e.Message, [UspErrors.Param(path, e.Code, e.Message)]);
                result.OperStatus.OperFailure = new OperationFailure { ErrCode = e.Code, ErrMsg = e.Message };
                resp.DeletedObjResults.Add(result);
                continue;
            }

            var success = new OperationSuccess();
            foreach (var row in r.Objects.Where(o => o.Parent?.Table(o.Schema.Name)?.Row(o.InstanceNumber) == o))
            {
                var problem = CheckDeletable(row, ctx);
                if (problem is { } p)
                {
                    if (!delete.AllowPartial)
                        return UspErrors.Body(p.Code, p.Message, [UspErrors.Param(row.Path, p.Code, p.Message)]);
                    success.UnaffectedPathErrs.Add(new UnaffectedPathError { UnaffectedPath = row.Path, ErrCode = p.Code, ErrMsg = p.Message });
                    continue;
                }
                ctx.Tx.DeleteRow(row);
                deleted.Add(row.Path);
                if (ctx.Can(row.Path, Permission.ReadInstances))
                    success.AffectedPaths.Add(row.Path); // R-DEL.2
            }
            result.OperStatus.OperSuccess = success;
            resp.DeletedObjResults.Add(result);
        }
        ReferenceCleaner.RemoveReferencesTo(ctx.Tx, ctx.Tree, deleted);
        return new Body { Response = new Response { DeleteResp = resp } };
    }

    private static PathError? CheckDeletable(DmObject row, RequestContext ctx)
    {
        var table = row.Parent!.Table(row.Schema.Name)!;
        if (row.Schema.Access != ObjectAccess.ReadWrite)
            return new PathError(ErrorCodes.DeleteFailure, $"{row.Schema.Path} rows are managed by the agent and cannot be deleted.");
        if (!ctx.Can(row.Path, Permission.Delete))
            return new PathError(ErrorCodes.PermissionDenied, $"This Controller may not delete {row.Path}.");
        if (table.Count <= row.Schema.MinEntries)
            return new PathError(ErrorCodes.DeleteFailure, $"{table.Path} must keep at least {row.Schema.MinEntries} row(s).");
        return null;
    }
}

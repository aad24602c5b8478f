using Usp.DataModel.Paths;
using Usp.DataModel.Schema;
using Usp.DataModel.Security;
using Usp.DataModel.Store;
using Usp.Proto;
using static Usp.Proto.AddResp.Types;
using static Usp.Proto.AddResp.Types.CreatedObjectResult.Types;
using static Usp.Proto.AddResp.Types.CreatedObjectResult.Types.OperationStatus.Types;

namespace Usp.DataModel.Handlers;

/// <summary>
/// Add: creates one row per matched parent of each obj_path table, applies its parameter settings,
/// assigns missing unique keys and rejects duplicates. allow_partial false makes any failure an Error.
/// </summary>
internal sealed class AddHandler
{
    public Body Handle(Add add, RequestContext ctx)
    {
        var resp = new AddResp();
        foreach (var create in add.CreateObjs)
        {
            int savepoint = ctx.Tx.Savepoint();
            var results = Create(create, ctx, add.AllowPartial, out var failure);
            if (failure is { } f)
            {
                ctx.Tx.RollbackTo(savepoint);
                if (!add.AllowPartial)
                    return UspErrors.Body(f.Code, f.Message, f.ParamErrors);
                var failed = new CreatedObjectResult
                {
                    RequestedPath = create.ObjPath,
                    OperStatus = new OperationStatus { OperFailure = new OperationFailure { ErrCode = f.Code, ErrMsg = f.Message } },
                };
                resp.CreatedObjResults.Add(failed);
                continue;
            }
            resp.CreatedObjResults.AddRange(results);
        }
        return new Body { Response = new Response { AddResp = resp } };
    }

    private sealed record CreateFailure(uint Code, string Message, List<Error.Types.ParamError> ParamErrors);

    private static List<CreatedObjectResult> Create(Add.Types.CreateObject create, RequestContext ctx, bool allowPartial, out CreateFailure? failure)
    {
        failure = null;
        var path = create.ObjPath;
        var results = new List<CreatedObjectResult>();
        var r = ctx.Resolver.Resolve(path);
        if (r.Error is { } error)
        {
            failure = PathFailure(path, error.Code, error.Message);
            return results;
        }
        if (r.Leaf != LeafKind.Object)
        {
            failure = PathFailure(path, ErrorCodes.InvalidPathSyntax, $"{path} is not an object path; Add takes a table path ending in '.'.");
            return results;
        }
        if (!r.EndsAtTable || r.Schema is null)
        {
            failure = PathFailure(path, ErrorCodes.ObjectNotATable, $"{path} is not a table (multi-instance object) path, e.g. Device.LocalAgent.Subscription.");
            return results;
        }
        var schema = r.Schema;
        if (schema.Access != ObjectAccess.ReadWrite)
        {
            failure = PathFailure(path, ErrorCodes.ObjectNotCreatable, $"{schema.Path} rows are created by the agent only.");
            return results;
        }
        if (r.Objects.Count == 0)
        {
            if (r.IsSearch)
            {
                results.Add(new CreatedObjectResult
                {
                    RequestedPath = path,
                    OperStatus = new OperationStatus { OperSuccess = new OperationSuccess() },
                });
                return results;
            }
            failure = PathFailure(path, ErrorCodes.ObjectDoesNotExist, $"The parent object of {path} does not exist.");
            return results;
        }

        foreach (var table in r.Tables)
        {
            int savepoint = ctx.Tx.Savepoint();
            var created = CreateRow(create, table, ctx, out var rowFailure);
            if (rowFailure is null)
            {
                results.Add(created!);
                continue;
            }
            if (!allowPartial || !r.IsSearch)
            {
                failure = rowFailure;
                return results;
            }
            // A search path with allow_partial: each matched table gets its own result (TP-469 2.23).
            ctx.Tx.RollbackTo(savepoint);
            results.Add(new CreatedObjectResult
            {
                RequestedPath = create.ObjPath,
                OperStatus = new OperationStatus { OperFailure = new OperationFailure { ErrCode = rowFailure.Code, ErrMsg = rowFailure.Message } },
            });
        }
        return results;
    }

    private static CreatedObjectResult? CreateRow(Add.Types.CreateObject create, DmTable table, RequestContext ctx, out CreateFailure? failure)
    {
        failure = null;
        var schema = table.Schema;
        if (!ctx.Can(table.Path, Permission.Add))
        {
            failure = PathFailure(table.Path, ErrorCodes.PermissionDenied, $"This Controller may not add rows to {table.Path}.");
            return null;
        }
        if (schema.MaxEntries is { } max && table.Count >= max)
        {
            failure = PathFailure(create.ObjPath, ErrorCodes.ObjectCouldNotBeCreated, $"{table.Path} is full: it holds at most {max} rows.");
            return null;
        }

        var row = ctx.Tx.AddRow(table);
        RowInitializer.Run(row, ctx.Tx, ctx.Controller.ControllerRow, ctx.Time.GetUtcNow());

        var success = new OperationSuccess { InstantiatedPath = row.Path };
        var paramErrors = new List<Error.Types.ParamError>();
        foreach (var setting in create.ParamSettings)
        {
            var f = ParamWriter.TrySet(ctx, row, setting.Param, setting.Value, creating: true, out _);
            if (f is null)
                continue;
            // A bad unique key cannot be left to the agent to fix silently: the object fails.
            if (setting.Required || schema.IsKeyParam(setting.Param))
            {
                failure = new CreateFailure(f.Value.Code,
                    $"{table.Path} was not created: {f.Value.Message}",
                    [UspErrors.Param(table.Path + f.Value.Param, f.Value.Code, f.Value.Message)]);
                return null;
            }
            success.ParamErrs.Add(new ParameterError { Param = f.Value.Param, ErrCode = f.Value.Code, ErrMsg = f.Value.Message });
        }

        UniqueKeys.AssignMissing(row, ctx.Tx);
        if (UniqueKeys.FindConflict(row) is { } key)
        {
            var names = string.Join("+", key.ParamNames);
            var message = $"{create.ObjPath} was not created: another row already has this {names} ({string.Join(", ", key.ParamNames.Select(n => $"{n}=\"{row.GetValue(n)}\""))}).";
            failure = new CreateFailure(ErrorCodes.DuplicateUniqueKey, message,
                key.ParamNames.Select(n => UspErrors.Param(create.ObjPath + n, ErrorCodes.DuplicateUniqueKey, message)).ToList());
            return null;
        }

        foreach (var (name, value) in row.UniqueKeyValues())
        {
            if (ctx.Can(row.Path + name, Permission.Read))
                success.UniqueKeys[name] = value;
        }
        return new CreatedObjectResult
        {
            RequestedPath = create.ObjPath,
            OperStatus = new OperationStatus { OperSuccess = success },
        };
    }

    private static CreateFailure PathFailure(string path, uint code, string message) =>
        new(code, message, [UspErrors.Param(path, code, message)]);
}

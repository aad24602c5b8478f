using Usp.DataModel.Paths;
using Usp.DataModel.Security;
using Usp.DataModel.Store;
using Usp.Proto;
using static Usp.Proto.SetResp.Types;
using static Usp.Proto.SetResp.Types.UpdatedObjectResult.Types;
using static Usp.Proto.SetResp.Types.UpdatedObjectResult.Types.OperationStatus.Types;

namespace Usp.DataModel.Handlers;

/// <summary>
/// Set: updates parameters of the objects each obj_path matches. A failing obj_path is undone as a
/// whole (R-SET.2a); with allow_partial false any failure turns the message into an Error (R-SET.1) whose
/// err_code is the cause — the first required parameter's error, e.g. 7006 Permission Denied (TP-469 2.16) —
/// not the 7021 an OperationFailure in a SetResp carries.
/// </summary>
internal sealed class SetHandler
{
    public Body Handle(Set set, RequestContext ctx)
    {
        var resp = new SetResp();
        foreach (var update in set.UpdateObjs)
        {
            int savepoint = ctx.Tx.Savepoint();
            var outcome = Update(update, ctx, out uint cause);
            if (outcome.OperStatus.OperFailure is { } failure)
            {
                ctx.Tx.RollbackTo(savepoint);
                if (!set.AllowPartial)
                    return UspErrors.Body(cause, failure.ErrMsg, ErrorParams(update.ObjPath, failure));
            }
            resp.UpdatedObjResults.Add(outcome);
        }
        return new Body { Response = new Response { SetResp = resp } };
    }

    private static IEnumerable<Error.Types.ParamError> ErrorParams(string objPath, OperationFailure failure)
    {
        if (failure.UpdatedInstFailures.Count == 0)
            return [UspErrors.Param(objPath, failure.ErrCode, failure.ErrMsg)];
        return failure.UpdatedInstFailures.SelectMany(f =>
            f.ParamErrs.Select(p => UspErrors.Param(f.AffectedPath + p.Param, p.ErrCode, p.ErrMsg)));
    }

    /// <param name="cause">On failure, why: the path's error, or the first required parameter's (or unique key's) error.</param>
    private static UpdatedObjectResult Update(Set.Types.UpdateObject update, RequestContext ctx, out uint cause)
    {
        cause = 0;
        var result = new UpdatedObjectResult { RequestedPath = update.ObjPath, OperStatus = new OperationStatus() };
        var r = ctx.Resolver.Resolve(update.ObjPath);
        if (r.Error is { } error)
            return Failed(result, out cause, error.Code, error.Message);
        if (r.Leaf != LeafKind.Object)
            return Failed(result, out cause, ErrorCodes.InvalidPathSyntax, $"{update.ObjPath} is not an object path; Set takes object paths ending in '.' and parameter names in param_settings.");
        if (r.EndsAtTable)
            return Failed(result, out cause, ErrorCodes.InvalidPath, $"{update.ObjPath} is a table; address its instances (e.g. {update.ObjPath}1. or {update.ObjPath}*.).");
        if (r.Objects.Count == 0)
        {
            if (r.IsSearch)
            {
                result.OperStatus.OperSuccess = new OperationSuccess();
                return result;
            }
            return Failed(result, out cause, ErrorCodes.ObjectDoesNotExist, $"{update.ObjPath} does not exist.");
        }

        var success = new OperationSuccess();
        var failures = new List<UpdatedInstanceFailure>();
        bool keyConflict = false;
        foreach (var obj in r.Objects)
        {
            var paramErrs = new List<ParameterError>();
            var updated = new Dictionary<string, string>(StringComparer.Ordinal);
            bool requiredFailed = false;
            foreach (var setting in update.ParamSettings)
            {
                if (ParamWriter.TrySet(ctx, obj, setting.Param, setting.Value, creating: false, out var canonical) is { } f)
                {
                    paramErrs.Add(new ParameterError { Param = f.Param, ErrCode = f.Code, ErrMsg = f.Message });
                    if (setting.Required && cause == 0)
                        cause = f.Code;
                    requiredFailed |= setting.Required;
                }
                else if (ctx.Can(obj.Path + setting.Param, Permission.Read))
                {
                    updated[setting.Param] = canonical; // R-SET.3: only what the Controller may read
                }
            }
            if (!requiredFailed && UniqueKeys.FindConflict(obj) is { } key)
            {
                keyConflict = true;
                requiredFailed = true;
                if (cause == 0)
                    cause = ErrorCodes.DuplicateUniqueKey;
                paramErrs.Add(new ParameterError
                {
                    Param = string.Join(",", key.ParamNames),
                    ErrCode = ErrorCodes.DuplicateUniqueKey,
                    ErrMsg = $"Another instance of {obj.Schema.Path} already has this {string.Join("+", key.ParamNames)}.",
                });
            }
            if (requiredFailed)
            {
                var failure = new UpdatedInstanceFailure { AffectedPath = obj.Path };
                failure.ParamErrs.AddRange(paramErrs);
                failures.Add(failure);
                continue;
            }
            var instance = new UpdatedInstanceResult { AffectedPath = obj.Path };
            instance.ParamErrs.AddRange(paramErrs);
            instance.UpdatedParams.Add(updated);
            success.UpdatedInstResults.Add(instance);
        }

        if (failures.Count > 0)
        {
            uint code = keyConflict ? ErrorCodes.DuplicateUniqueKey : ErrorCodes.RequiredParameterFailed;
            var f = new OperationFailure
            {
                ErrCode = code,
                ErrMsg = keyConflict
                    ? $"Updating {update.ObjPath} would duplicate a unique key; nothing under it was changed."
                    : $"A required parameter could not be set on {failures.Count} instance(s) of {update.ObjPath}; nothing under it was changed.",
            };
            f.UpdatedInstFailures.AddRange(failures);
            result.OperStatus.OperFailure = f;
            return result;
        }
        result.OperStatus.OperSuccess = success;
        return result;
    }

    private static UpdatedObjectResult Failed(UpdatedObjectResult result, out uint cause, uint code, string message)
    {
        cause = code;
        result.OperStatus.OperFailure = new OperationFailure { ErrCode = code, ErrMsg = message };
        return result;
    }
}

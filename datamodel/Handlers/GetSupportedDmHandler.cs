using Usp.DataModel.Paths;
using Usp.DataModel.Schema;
using Usp.DataModel.Security;
using Usp.Proto;
using static Usp.Proto.GetSupportedDMResp.Types;

namespace Usp.DataModel.Handlers;

/// <summary>GetSupportedDM: describes the supported data model below objects, or one command, event or parameter.</summary>
internal sealed class GetSupportedDmHandler
{
    public Body Handle(GetSupportedDM request, RequestContext ctx)
    {
        var resp = new GetSupportedDMResp();
        foreach (var path in request.ObjPaths)
            resp.ReqObjResults.Add(Describe(path, request, ctx));
        return new Body { Response = new Response { GetSupportedDmResp = resp } };
    }

    private static RequestedObjectResult Describe(string path, GetSupportedDM request, RequestContext ctx)
    {
        var result = new RequestedObjectResult { ReqObjPath = path };
        var schema = ctx.Tree.Schema;
        if (!SupportedPath.TryNormalize(path, out var normalized, out var problem))
            return Fail(result, ErrorCodes.InvalidPathSyntax, problem);
        result.DataModelInstUri = schema.DataModelUri;

        if (normalized.EndsWith('.'))
        {
            var obj = schema.FindObject(normalized) ?? schema.FindObject(normalized + "{i}.");
            if (obj is null)
                return Fail(result, ErrorCodes.InvalidPath, $"{path} is not in the supported data model.");
            AddObjects(result, obj, request, ctx);
            return result;
        }

        int dot = normalized.LastIndexOf('.');
        var parentPath = normalized[..(dot + 1)];
        var leaf = normalized[(dot + 1)..];
        var parent = schema.FindObject(parentPath);
        // R-GSP.0: an element the Controller may not read is treated as not supported.
        if (parent is not null && ctx.Can(parent.Path + leaf, Permission.Read))
        {
            var single = Describe(parent, ctx);
            if (parent.FindCommand(leaf) is { } command)
            {
                single.SupportedCommands.Add(Describe(command));
                result.SupportedObjs.Add(single);
                return result;
            }
            if (parent.FindEvent(leaf) is { } evt)
            {
                single.SupportedEvents.Add(Describe(evt));
                result.SupportedObjs.Add(single);
                return result;
            }
            if (parent.FindParam(leaf) is { } param)
            {
                single.SupportedParams.Add(Describe(param, parent, ctx));
                result.SupportedObjs.Add(single);
                return result;
            }
        }
        // An object path given without its trailing '.' (or '{i}.').
        var objectWithoutDot = schema.FindObject(normalized + ".") ?? schema.FindObject(normalized + ".{i}.");
        if (objectWithoutDot is not null)
        {
            AddObjects(result, objectWithoutDot, request, ctx);
            return result;
        }
        return Fail(result, ErrorCodes.InvalidPath, $"{path} is not in the supported data model.");
    }

    /// <summary>Objects the Controller may not read are left out as if unsupported (R-GSP.0).</summary>
    private static void AddObjects(RequestedObjectResult result, ObjectSchema obj, GetSupportedDM request, RequestContext ctx)
    {
        if (!ctx.Can(obj.Path, Permission.Read))
            return;
        result.SupportedObjs.Add(Describe(obj, ctx, request));
        foreach (var child in obj.Children)
        {
            if (!request.FirstLevelOnly)
                AddObjects(result, child, request, ctx);
            else if (ctx.Can(child.Path, Permission.Read))
                result.SupportedObjs.Add(Describe(child, ctx));
        }
    }

    private static SupportedObjectResult Describe(ObjectSchema obj, RequestContext ctx, GetSupportedDM? request = null)
    {
        var r = new SupportedObjectResult
        {
            SupportedObjPath = obj.Path,
            IsMultiInstance = obj.IsMultiInstance,
            Access = ObjectAccessFor(obj, ctx),
        };
        if (request is null)
            return r;
        if (request.ReturnParams)
            r.SupportedParams.AddRange(obj.Params.Where(p => ctx.Can(obj.Path + p.Name, Permission.Read)).Select(p => Describe(p, obj, ctx)));
        if (request.ReturnCommands)
            r.SupportedCommands.AddRange(obj.Commands.Where(c => ctx.Can(obj.Path + c.Name, Permission.Read)).Select(Describe));
        if (request.ReturnEvents)
            r.SupportedEvents.AddRange(obj.Events.Where(e => ctx.Can(obj.Path + e.Name, Permission.Read)).Select(Describe));
        if (request.ReturnUniqueKeySets)
        {
            foreach (var key in obj.UniqueKeys)
            {
                var set = new SupportedUniqueKeySet();
                set.KeyNames.AddRange(key.ParamNames);
                r.UniqueKeySets.Add(set);
            }
        }
        return r;
    }

    /// <summary>The access this Controller has: the schema's, reduced by its Obj/InstantiatedObj write permissions.</summary>
    private static ObjAccessType ObjectAccessFor(ObjectSchema obj, RequestContext ctx)
    {
        if (!obj.IsMultiInstance || obj.Access != ObjectAccess.ReadWrite)
            return ObjAccessType.ObjReadOnly;
        bool add = ctx.Can(obj.Path[..^"{i}.".Length], Permission.Add);
        bool delete = ctx.Can(obj.Path, Permission.Delete);
        return (add, delete) switch
        {
            (true, true) => ObjAccessType.ObjAddDelete,
            (true, false) => ObjAccessType.ObjAddOnly,
            (false, true) => ObjAccessType.ObjDeleteOnly,
            _ => ObjAccessType.ObjReadOnly,
        };
    }

    private static SupportedParamResult Describe(ParamSchema p, ObjectSchema owner, RequestContext ctx) => new()
    {
        ParamName = p.Name,
        // writeOnceReadOnly is reported as read-write (TR-369 "writeOnceReadOnly Parameter Access");
        // a parameter this Controller may not write is reported read-only to it.
        Access = p.Access == ParamAccess.ReadOnly || !ctx.Can(owner.Path + p.Name, Permission.Write)
            ? ParamAccessType.ParamReadOnly : ParamAccessType.ParamReadWrite,
        ValueType = p.Type switch
        {
            ParamType.Base64 => ParamValueType.ParamBase64,
            ParamType.Boolean => ParamValueType.ParamBoolean,
            ParamType.DateTime => ParamValueType.ParamDateTime,
            ParamType.Decimal => ParamValueType.ParamDecimal,
            ParamType.HexBinary => ParamValueType.ParamHexBinary,
            ParamType.Int => ParamValueType.ParamInt,
            ParamType.Long => ParamValueType.ParamLong,
            ParamType.UnsignedInt => ParamValueType.ParamUnsignedInt,
            ParamType.UnsignedLong => ParamValueType.ParamUnsignedLong,
            _ => ParamValueType.ParamString,
        },
        ValueChange = p.ValueChange == ValueChangeSupport.Allowed ? ValueChangeType.ValueChangeAllowed : ValueChangeType.ValueChangeWillIgnore,
    };

    private static SupportedCommandResult Describe(CommandSchema c)
    {
        var r = new SupportedCommandResult { CommandName = c.Name, CommandType = c.IsAsync ? CmdType.CmdAsync : CmdType.CmdSync };
        r.InputArgNames.AddRange(c.InputArgs.Select(a => a.Name));
        r.OutputArgNames.AddRange(c.OutputArgs.Select(a => a.Name));
        return r;
    }

    private static SupportedEventResult Describe(EventSchema e)
    {
        var r = new SupportedEventResult { EventName = e.Name };
        r.ArgNames.AddRange(e.Args.Select(a => a.Name));
        return r;
    }

    private static RequestedObjectResult Fail(RequestedObjectResult r, uint code, string message)
    {
        r.ErrCode = code;
        r.ErrMsg = message;
        return r;
    }
}

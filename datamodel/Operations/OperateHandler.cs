using Usp.DataModel.Handlers;
using Usp.DataModel.Paths;
using Usp.DataModel.Schema;
using Usp.DataModel.Security;
using Usp.DataModel.Store;
using Usp.Proto;
using static Usp.Proto.OperateResp.Types;
using static Usp.Proto.OperateResp.Types.OperationResult.Types;

namespace Usp.DataModel.Operations;

/// <summary>
/// Operate: runs the command on every object the path matches. Synchronous commands answer in
/// the OperateResp; asynchronous ones get a Request row (R-OPR.0/2) and finish with an
/// OperationComplete. Failures per object are cmd_failure entries, never an Error (R-OPR.1).
/// </summary>
internal sealed class OperateHandler(OperationRunner runner, Action<Func<CancellationToken, ValueTask>> afterResponse)
{
    private const string RequestTablePath = "Device.LocalAgent.";

    public Body Handle(Usp.Proto.Operate operate, RequestContext ctx)
    {
        runner.DiscardUncommitted();
        var r = ctx.Resolver.Resolve(operate.Command);
        if (r.Error is { } error)
            return UspErrors.Body(error.Code, error.Message);
        if (r.Leaf != LeafKind.Command || r.Schema is null)
            return UspErrors.Body(ErrorCodes.InvalidPath, $"{operate.Command} is not a command path (it must end with the command name and '()').");
        var command = r.Schema.FindCommand(r.LeafName!);
        if (command is null)
            return UspErrors.Body(ErrorCodes.InvalidPath, $"{r.Schema.Path} has no command {r.LeafName}.");
        if (r.Objects.Count == 0 && !r.IsSearch)
            return UspErrors.Body(ErrorCodes.ObjectDoesNotExist, $"The object of {operate.Command} does not exist.");

        var resp = new OperateResp();
        foreach (var obj in r.Objects)
            resp.OperationResults.Add(Run(operate, command, obj, ctx));
        return new Body { Response = new Response { OperateResp = resp } };
    }

    private OperationResult Run(Usp.Proto.Operate operate, CommandSchema command, DmObject obj, RequestContext ctx)
    {
        var executed = obj.Path + command.Name;
        var result = new OperationResult { ExecutedCommand = executed };
        if (!ctx.Can(executed, Permission.Execute))
            return Failed(result, ErrorCodes.PermissionDenied, $"This Controller may not run {executed}.");
        if (CheckArguments(command, operate.InputArgs, out var args) is { } argError)
            return Failed(result, ErrorCodes.InvalidCommandArguments, argError);

        if (!command.IsAsync)
        {
            if (command.SyncHandler is not { } handler)
                return Failed(result, ErrorCodes.CommandFailure, $"{command.Name} is not available on this agent.");
            var savepoint = ctx.Tx.Savepoint();
            var context = new CommandContext(obj, command.Name, args, operate.CommandKey, ctx.Controller.EndpointId, ctx.Tx, ctx.Tree,
                ctx.Time.GetUtcNow(), afterResponse, path => ctx.Can(path, Permission.Execute));
            var outcome = handler(context);
            if (outcome.Failed)
            {
                ctx.Tx.RollbackTo(savepoint);
                return Failed(result, outcome.ErrorCode, outcome.ErrorMessage);
            }
            result.ReqOutputArgs = new OutputArgs();
            foreach (var (k, v) in outcome.OutputArgs)
                result.ReqOutputArgs.OutputArgs_[k] = v;
            return result;
        }

        if (command.AsyncHandler is null)
            return Failed(result, ErrorCodes.CommandFailure, $"{command.Name} is not available on this agent.");
        var table = ctx.Tree.Find(RequestTablePath)?.Table("Request");
        if (table is null)
            return Failed(result, ErrorCodes.InternalError, "This agent has no Device.LocalAgent.Request table.");
        var row = ctx.Tx.AddRow(table);
        UniqueKeys.AssignMissing(row, ctx.Tx);
        ctx.Tx.SetValue(row, "Originator", ctx.Controller.EndpointId);
        ctx.Tx.SetValue(row, "Command", executed);
        ctx.Tx.SetValue(row, "CommandKey", operate.CommandKey);
        ctx.Tx.SetValue(row, "Status", "Active");
        runner.Queue(new OperationRunner.PendingStart(row.Path, obj.Path, command, args, operate.CommandKey, ctx.Controller.EndpointId));
        result.ReqObjPath = row.Path;
        return result;
    }

    /// <summary>
    /// R-OPR.5–7: mandatory arguments present, values of the declared type and facets, unknown
    /// ones ignored, every omitted optional one given its default so handlers see all declared inputs.
    /// </summary>
    private static string? CheckArguments(CommandSchema command, IDictionary<string, string> given, out Dictionary<string, string> args)
    {
        args = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var declared in command.InputArgs)
        {
            var param = declared.AsParam();
            if (!given.TryGetValue(declared.Name, out var value))
            {
                if (declared.Mandatory)
                    return $"{command.Name} needs the input argument {declared.Name}.";
                args[declared.Name] = param.EffectiveDefault;
                continue;
            }
            var check = ValueValidator.Check(param, value);
            if (!check.Ok)
                return $"Input argument {check.Error}";
            args[declared.Name] = check.Value;
        }
        return null;
    }

    private static OperationResult Failed(OperationResult result, uint code, string message)
    {
        result.CmdFailure = new CommandFailure { ErrCode = code, ErrMsg = message };
        return result;
    }
}

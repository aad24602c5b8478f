namespace Usp.DataModel.Operations;

/// <summary><c>Device.LocalAgent.Request.{i}.Cancel()</c>.</summary>
internal static class RequestCommands
{
    /// <summary>
    /// The Operate handler already checked 'x' on this Cancel(). Stopping another Controller's
    /// operation (R-OPR.3: only "a Controller with permission to do so") also needs 'x' on the
    /// command being stopped: a Controller may not undo what it could not have started.
    /// </summary>
    public static CommandOutcome Cancel(CommandContext ctx, OperationRunner runner)
    {
        var path = ctx.Instance.Path;
        var originator = ctx.Instance.GetValue("Originator") ?? "";
        var command = ctx.Instance.GetValue("Command") ?? "";
        if (originator != ctx.ControllerEndpointId && (command.Length == 0 || !ctx.MayExecute(command)))
            return CommandOutcome.Failure(ErrorCodes.PermissionDenied, $"{path} was started by another Controller, and this Controller may not run {command}.");
        if (!runner.IsRunning(path))
            return CommandOutcome.Failure(ErrorCodes.CommandFailure, $"{path} has no running operation to cancel.");
        ctx.Tx.SetValue(ctx.Instance, "Status", "Canceling");
        ctx.AfterResponse(_ =>
        {
            runner.Cancel(path);
            return ValueTask.CompletedTask;
        });
        return CommandOutcome.Success();
    }
}

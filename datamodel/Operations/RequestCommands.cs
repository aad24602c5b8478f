namespace Usp.DataModel.Operations;

/// <summary><c>Device.LocalAgent.Request.{i}.Cancel()</c>.</summary>
internal static class RequestCommands
{
    public static CommandOutcome Cancel(CommandContext ctx, OperationRunner runner)
    {
        var path = ctx.Instance.Path;
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

using System.Globalization;

namespace Usp.DataModel.Operations;

/// <summary><c>Device.LocalAgent.Controller.{i}.SendOnBoardRequest()</c> and the (deprecated) <c>ScheduleTimer()</c> with its <c>Timer!</c>.</summary>
internal sealed class ControllerCommands(AgentCommandServices services)
{
    public CommandOutcome SendOnBoardRequest(CommandContext ctx)
    {
        var controller = ctx.Instance;
        if (controller.GetValue("Enable") != "true")
            return CommandOutcome.Failure(ErrorCodes.CommandFailure, $"{controller.Path} is disabled; enable it before onboarding.");
        ctx.Tx.SetValue(controller, "OnBoardingComplete", "false");
        services.Notifications.OnBoarding.Send(controller);
        return CommandOutcome.Success();
    }

    public async Task<CommandOutcome> ScheduleTimer(AsyncCommandContext ctx, CancellationToken cancellationToken)
    {
        var seconds = uint.Parse(ctx.InputArgs["DelaySeconds"], CultureInfo.InvariantCulture);
        await ctx.DelayAsync(TimeSpan.FromSeconds(seconds), cancellationToken).ConfigureAwait(false);
        services.Notifications.RaiseEvent(ctx.ObjectPath, "Timer!", new Dictionary<string, string>());
        return CommandOutcome.Success();
    }
}

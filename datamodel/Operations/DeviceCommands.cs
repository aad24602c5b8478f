using System.Globalization;
using Usp.DataModel.Notifications;

namespace Usp.DataModel.Operations;

/// <summary><c>Device.Reboot()</c>, <c>FactoryReset()</c>, <c>ScheduleTimer()</c> and <c>SelfTestDiagnostics()</c>.</summary>
internal sealed class DeviceCommands(AgentCommandServices services)
{
    public CommandOutcome Reboot(CommandContext ctx)
    {
        if (services.Restart is not { } restart)
            return CommandOutcome.Failure(ErrorCodes.CommandFailure, "This agent was started without a way to restart the device.");
        BootNotifier.Record(services.Store, BootCause.RemoteReboot, ctx.CommandKey);
        ctx.AfterResponse(ct => restart.RestartAsync(RestartReason.Reboot, ct));
        return CommandOutcome.Success();
    }

    public CommandOutcome FactoryReset(CommandContext ctx)
    {
        if (services.Restart is not { } restart)
            return CommandOutcome.Failure(ErrorCodes.CommandFailure, "This agent was started without a way to restart the device.");
        BootNotifier.Record(services.Store, BootCause.RemoteFactoryReset, ctx.CommandKey);
        ctx.AfterResponse(async ct =>
        {
            services.FactoryReset();
            await restart.RestartAsync(RestartReason.FactoryReset, ct).ConfigureAwait(false);
        });
        return CommandOutcome.Success();
    }

    public async Task<CommandOutcome> ScheduleTimer(AsyncCommandContext ctx, CancellationToken cancellationToken)
    {
        var seconds = uint.Parse(ctx.InputArgs["DelaySeconds"], CultureInfo.InvariantCulture);
        await ctx.DelayAsync(TimeSpan.FromSeconds(seconds), cancellationToken).ConfigureAwait(false);
        return CommandOutcome.Success();
    }

    /// <summary>Checks the database and every registered participant; Status is Complete only if all pass.</summary>
    public async Task<CommandOutcome> SelfTest(AsyncCommandContext ctx, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        bool passed = true;
        var integrity = ctx.ReadModel(_ => services.Store.QuickCheck());
        passed &= integrity == "ok";
        lines.Add($"database: {integrity}");
        foreach (var participant in services.SelfTests)
        {
            SelfTestResult result;
            try
            {
                result = await participant.RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                result = new SelfTestResult(false, $"threw {ex.GetType().Name}: {ex.Message}");
            }
            passed &= result.Passed;
            lines.Add($"{participant.Name}: {(result.Passed ? "ok" : "FAILED")} {result.Detail}".TrimEnd());
        }
        return CommandOutcome.Success(new Dictionary<string, string>
        {
            ["Status"] = passed ? "Complete" : "Error_Other",
            ["Results"] = string.Join("; ", lines),
        });
    }
}

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Usp.Agent.Hosting.Reboot;

/// <inheritdoc cref="IRebootHandler"/>
internal sealed partial class RebootHandler(
    IBootCauseStore bootCause,
    RestartPlan plan,
    RestartMethod method,
    IHostApplicationLifetime lifetime,
    ILogger<RebootHandler> logger) : IRebootHandler
{
    public void RequestRestart(BootRecord nextBoot)
    {
        bootCause.RecordNextBoot(nextBoot);
        plan.Request(method);
        LogRestart(nextBoot.Cause, method);
        lifetime.StopApplication();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Restart requested ({Cause}): stopping, then {Method}.")]
    private partial void LogRestart(BootCause cause, RestartMethod method);
}

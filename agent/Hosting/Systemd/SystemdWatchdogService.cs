using Microsoft.Extensions.Hosting;

namespace Usp.Agent.Hosting.Systemd;

/// <summary>Sends WATCHDOG=1 at the configured interval (half of WATCHDOG_USEC) until the host stops.</summary>
internal sealed class SystemdWatchdogService(ISystemdNotifier notifier, TimeSpan pingInterval, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(pingInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                notifier.Notify("WATCHDOG=1");
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping: no more pings.
        }
    }
}

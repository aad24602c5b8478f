using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace Usp.Agent.Hosting.Systemd;

/// <summary>
/// Sends WATCHDOG=1 at the configured interval (half of WATCHDOG_USEC, see <see cref="SystemdEnvironment"/>) until the
/// host stops: Microsoft.Extensions.Hosting.Systemd sends the state but keeps no watchdog cadence.
/// </summary>
internal sealed class SystemdWatchdogService(ISystemdNotifier notifier, TimeSpan pingInterval, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(pingInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                notifier.TryNotify(SystemdNotifications.Watchdog);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping: no more pings.
        }
    }
}

using System.Net.Sockets;
using Microsoft.Extensions.Hosting.Systemd;

namespace Usp.Agent.Hosting.Systemd;

/// <summary>
/// The sd_notify(3) states the agent sends beyond the package's <see cref="ServiceState.Ready"/> and
/// <see cref="ServiceState.Stopping"/>, and a send that never throws: a service manager that cannot be reached
/// (restarted, or the socket gone) must not stop the agent.
/// </summary>
internal static class SystemdNotifications
{
    public static readonly ServiceState Watchdog = new("WATCHDOG=1");

    public static ServiceState Status(string text) => new("STATUS=" + text);

    /// <summary>Sends <paramref name="state"/> when a notification socket is configured; false when it was not delivered.</summary>
    public static bool TryNotify(this ISystemdNotifier notifier, ServiceState state)
    {
        if (!notifier.IsEnabled)
        {
            return false;
        }

        try
        {
            notifier.Notify(state);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

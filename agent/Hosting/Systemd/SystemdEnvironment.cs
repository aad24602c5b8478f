using System.Globalization;

namespace Usp.Agent.Hosting.Systemd;

/// <summary>
/// The watchdog settings systemd gives a service in its environment (sd_watchdog_enabled(3)). Whether the process is
/// a systemd service and where its notification socket is are Microsoft.Extensions.Hosting.Systemd's to tell
/// (<c>SystemdHelpers.IsSystemdService()</c>, <c>SystemdNotifier</c>).
/// </summary>
internal sealed class SystemdEnvironment(IReadOnlyDictionary<string, string> environment, int processId)
{
    /// <summary>
    /// How often to send WATCHDOG=1: half of WATCHDOG_USEC, as systemd recommends; null when the watchdog
    /// is off or WATCHDOG_PID names another process.
    /// </summary>
    public TimeSpan? WatchdogPingInterval
    {
        get
        {
            if (!ulong.TryParse(Value("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong usec) || usec == 0)
            {
                return null;
            }

            string? pid = Value("WATCHDOG_PID");
            if (pid is not null && (!int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out int watchedPid) || watchedPid != processId))
            {
                return null;
            }

            return TimeSpan.FromMicroseconds(usec / 2);
        }
    }

    private string? Value(string name) =>
        environment.TryGetValue(name, out string? value) && !string.IsNullOrEmpty(value) ? value : null;
}

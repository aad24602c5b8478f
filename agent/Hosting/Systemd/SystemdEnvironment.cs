using System.Globalization;

namespace Usp.Agent.Hosting.Systemd;

/// <summary>What systemd tells a service through its environment (sd_notify(3), sd_watchdog_enabled(3), systemd.exec(5)).</summary>
internal sealed class SystemdEnvironment(IReadOnlyDictionary<string, string> environment, int processId)
{
    /// <summary>The notification socket: a path, or an abstract socket name starting with '@'; null when not set.</summary>
    public string? NotifySocket => Value("NOTIFY_SOCKET");

    /// <summary>True when the process runs as a systemd service (its stdout/stderr go to the journal).</summary>
    public bool IsSystemdService => Value("INVOCATION_ID") is not null || Value("JOURNAL_STREAM") is not null || NotifySocket is not null;

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

namespace Usp.Agent.Hosting.Systemd;

/// <summary>Sends sd_notify(3) state lines such as READY=1 to the service manager.</summary>
internal interface ISystemdNotifier
{
    /// <summary>True when a notification socket is configured.</summary>
    bool IsEnabled { get; }

    /// <summary>Sends one datagram; returns false (and drops it) when the service manager cannot be reached.</summary>
    bool Notify(string state);
}

/// <summary>The notifier used when the process is not started by systemd with NOTIFY_SOCKET.</summary>
internal sealed class DisabledSystemdNotifier : ISystemdNotifier
{
    public bool IsEnabled => false;

    public bool Notify(string state) => false;
}

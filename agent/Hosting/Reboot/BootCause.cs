namespace Usp.Agent.Hosting.Reboot;

/// <summary>Why the agent started: the values of the TR-181 Device.Boot! event's Cause argument.</summary>
internal enum BootCause
{
    /// <summary>A restart the agent did not ask for (power cycle, crash, operator) or one asked for locally.</summary>
    LocalReboot,

    /// <summary>Device.Reboot() or another remote trigger.</summary>
    RemoteReboot,

    /// <summary>A factory reset when the agent cannot tell whether it was asked for locally or remotely.</summary>
    FactoryReset,

    /// <summary>A factory reset asked for on the device, such as <c>usp-agent factory-reset</c>.</summary>
    LocalFactoryReset,

    /// <summary>Device.FactoryReset() or another remote trigger.</summary>
    RemoteFactoryReset,
}

/// <summary>The cause of a boot and the CommandKey of the Reboot()/FactoryReset() that asked for it ("" when none).</summary>
internal sealed record BootRecord(BootCause Cause, string CommandKey)
{
    public static BootRecord Unrequested { get; } = new(BootCause.LocalReboot, "");

    public bool IsFactoryReset => Cause is BootCause.FactoryReset or BootCause.LocalFactoryReset or BootCause.RemoteFactoryReset;
}

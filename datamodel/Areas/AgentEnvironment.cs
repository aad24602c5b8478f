namespace Usp.DataModel.Areas;

/// <summary>What the built-in areas read live values from; supplied by the engine.</summary>
public sealed class AgentEnvironment(TimeProvider time, ISystemStatus system, ProcProcessTable processes, string softwareVersion, Func<string> endpointId)
{
    public TimeProvider Time { get; } = time;
    public ISystemStatus System { get; } = system;
    /// <summary>The rows of Device.DeviceInfo.ProcessStatus.Process.{i}.</summary>
    public ProcProcessTable Processes { get; } = processes;
    public string SoftwareVersion { get; } = softwareVersion;
    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();
    /// <summary>The agent's EndpointID (resolved after the database is open).</summary>
    public Func<string> EndpointId { get; } = endpointId;

    public long AgentUpTimeSeconds => (long)(Time.GetUtcNow() - StartedAt).TotalSeconds;
}

/// <summary>Device-wide figures for DeviceInfo (the HAL can supply a better source).</summary>
public interface ISystemStatus
{
    /// <summary>Seconds since the device booted.</summary>
    long UpTimeSeconds { get; }
    long MemoryTotalKiB { get; }
    long MemoryFreeKiB { get; }
    /// <summary>Whole-device CPU usage in percent since the previous read.</summary>
    int CpuUsagePercent { get; }
}

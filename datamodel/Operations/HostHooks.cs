namespace Usp.DataModel.Operations;

public enum RestartReason
{
    /// <summary>Device.Reboot() was run.</summary>
    Reboot,
    /// <summary>Device.FactoryReset() was run; the engine already reset the data model.</summary>
    FactoryReset,
}

/// <summary>
/// Implemented by the host: restarts the device (or at least the agent process) once the
/// OperateResp has been sent. The engine has already recorded the cause for the next Boot!.
/// </summary>
public interface IDeviceRestart
{
    ValueTask RestartAsync(RestartReason reason, CancellationToken cancellationToken);
}

/// <summary>One part of the agent that <c>Device.SelfTestDiagnostics()</c> checks (an MTP, a HAL bus…).</summary>
public interface ISelfTestParticipant
{
    string Name { get; }
    ValueTask<SelfTestResult> RunAsync(CancellationToken cancellationToken);
}

public readonly record struct SelfTestResult(bool Passed, string Detail);

using Usp.Agent.Hosting.Reboot;
using Usp.DataModel.Operations;

namespace Usp.Agent.EngineHost;

/// <summary>Device.Reboot() and Device.FactoryReset() restart the agent through the host, once the OperateResp has gone out.</summary>
internal sealed class EngineDeviceRestart(IRebootHandler reboot) : IDeviceRestart
{
    public ValueTask RestartAsync(RestartReason reason, CancellationToken cancellationToken)
    {
        reboot.RequestRestart(new BootRecord(reason == RestartReason.FactoryReset ? BootCause.RemoteFactoryReset : BootCause.RemoteReboot, ""));
        return ValueTask.CompletedTask;
    }
}

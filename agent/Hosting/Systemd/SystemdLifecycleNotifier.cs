using Microsoft.Extensions.Hosting;

namespace Usp.Agent.Hosting.Systemd;

/// <summary>Tells systemd that the agent is ready (READY=1 plus STATUS=) and, on shutdown, that it is stopping (STOPPING=1).</summary>
internal sealed class SystemdLifecycleNotifier(ISystemdNotifier notifier) : IReadinessObserver, IHostedLifecycleService
{
    public void OnReady(AgentReadyState state)
    {
        notifier.Notify("READY=1");
        notifier.Notify("STATUS=" + state.Summary);
    }

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        notifier.Notify("STOPPING=1");
        notifier.Notify("STATUS=Stopping");
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        notifier.Notify("STATUS=Starting");
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

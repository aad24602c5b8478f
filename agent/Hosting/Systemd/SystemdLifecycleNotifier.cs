using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace Usp.Agent.Hosting.Systemd;

/// <summary>Tells systemd that the agent is ready (READY=1 plus STATUS=) and, on shutdown, that it is stopping (STOPPING=1).</summary>
internal sealed class SystemdLifecycleNotifier(ISystemdNotifier notifier) : IReadinessObserver, IHostedLifecycleService
{
    public void OnReady(AgentReadyState state)
    {
        notifier.TryNotify(ServiceState.Ready);
        notifier.TryNotify(SystemdNotifications.Status(state.Summary));
    }

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        notifier.TryNotify(ServiceState.Stopping);
        notifier.TryNotify(SystemdNotifications.Status("Stopping"));
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        notifier.TryNotify(SystemdNotifications.Status("Starting"));
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

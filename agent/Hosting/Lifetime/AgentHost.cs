using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Usp.Agent.Hosting;

/// <summary>
/// Runs the agent's hosted services: starts them in order (each <see cref="IHostedLifecycleService"/> hears
/// starting first and started last), then signals <see cref="AgentLifetime.ApplicationStarted"/>; stops the started
/// ones in reverse within <see cref="ShutdownTimeout"/>. A <see cref="BackgroundService"/> that crashes stops the agent.
/// </summary>
internal sealed partial class AgentHost(
    IReadOnlyList<IHostedService> services,
    IReadOnlyList<IDisposable> owned,
    AgentLifetime lifetime,
    TimeSpan shutdownTimeout,
    ILogger<AgentHost> logger) : IDisposable
{
    private readonly List<IHostedService> _started = [];

    public TimeSpan ShutdownTimeout => shutdownTimeout;

    public IHostApplicationLifetime Lifetime => lifetime;

    /// <summary>Whether a background service ended with an exception: a failure systemd should see.</summary>
    public bool HasCrashedService => services.OfType<BackgroundService>().Any(service => service.ExecuteTask is { IsFaulted: true });

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        foreach (IHostedLifecycleService service in services.OfType<IHostedLifecycleService>())
        {
            await service.StartingAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (IHostedService service in services)
        {
            await service.StartAsync(cancellationToken).ConfigureAwait(false);
            _started.Add(service);
            if (service is BackgroundService { ExecuteTask: { } execution })
            {
                _ = StopWhenCrashedAsync(service, execution);
            }
        }

        foreach (IHostedLifecycleService service in services.OfType<IHostedLifecycleService>())
        {
            await service.StartedAsync(cancellationToken).ConfigureAwait(false);
        }

        lifetime.NotifyStarted();
    }

    /// <summary>Waits until something asks the agent to stop (or <paramref name="cancellationToken"/> does), then stops it.</summary>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken = default)
    {
        using CancellationTokenRegistration registration = cancellationToken.Register(lifetime.StopApplication);
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using CancellationTokenRegistration stoppingRegistration = lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());
        await stopping.Task.ConfigureAwait(false);
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Stops the services that started, last first; each gets what is left of <see cref="ShutdownTimeout"/>.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(shutdownTimeout);
        CancellationToken token = timeout.Token;
        lifetime.StopApplication();

        IHostedService[] started = [.. Enumerable.Reverse(_started)];
        _started.Clear();
        foreach (IHostedLifecycleService service in started.OfType<IHostedLifecycleService>())
        {
            await StopStepAsync(service, () => service.StoppingAsync(token)).ConfigureAwait(false);
        }

        foreach (IHostedService service in started)
        {
            await StopStepAsync(service, () => service.StopAsync(token)).ConfigureAwait(false);
        }

        foreach (IHostedLifecycleService service in started.OfType<IHostedLifecycleService>())
        {
            await StopStepAsync(service, () => service.StoppedAsync(token)).ConfigureAwait(false);
        }

        lifetime.NotifyStopped();
    }

    public void Dispose()
    {
        foreach (IDisposable disposable in services.OfType<IDisposable>().Reverse().Concat(owned.Reverse()))
        {
            disposable.Dispose();
        }

        lifetime.Dispose();
    }

    /// <summary>One service failing to stop must not keep the others from stopping.</summary>
    private async Task StopStepAsync(IHostedService service, Func<Task> step)
    {
        try
        {
            await step().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogStopFailed(service.GetType().Name, e);
        }
    }

    private async Task StopWhenCrashedAsync(IHostedService service, Task execution)
    {
        try
        {
            await execution.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (execution.IsCanceled)
        {
            // Cancelled by the stop: not a crash.
        }
        catch (Exception e)
        {
            LogCrashed(service.GetType().Name, e);
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "{Service} crashed; the agent stops.")]
    private partial void LogCrashed(string service, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Service} did not stop cleanly.")]
    private partial void LogStopFailed(string service, Exception exception);
}

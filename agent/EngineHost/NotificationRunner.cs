using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Usp.Agent.Hosting;

namespace Usp.Agent.EngineHost;

/// <summary>
/// Runs the engine's notification loop (Boot!, subscriptions, retries) from the moment every MTP listens, so
/// Boot! is not lost to an MTP that is not up yet, until the host stops.
/// </summary>
internal sealed partial class NotificationRunner(AgentEngine engine, ILogger<NotificationRunner> logger) : IHostedService, IReadinessObserver
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void OnReady(AgentReadyState state)
    {
        if (_stopping.IsCancellationRequested || !engine.WhenOpen.IsCompletedSuccessfully)
        {
            return;
        }

        _loop = Task.Run(() => RunAsync(_stopping.Token));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown budget ran out first; the engine keeps pending notifications in its outbox.
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            await engine.Engine.Notifications.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogLoopFailed(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The notification loop stopped on an error; no more notifications are sent.")]
    private partial void LogLoopFailed(Exception exception);
}

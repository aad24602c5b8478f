using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Usp.Agent.Mtp;

namespace Usp.Agent.Hosting;

/// <summary>
/// Waits until the host has started and every <see cref="IMtpListener"/> listens, then tells the
/// <see cref="IReadinessObserver"/>s once. A listener that cannot listen stops the agent with exit code 1.
/// </summary>
internal sealed partial class ReadinessService(
    IEnumerable<IMtpListener> listeners,
    IEnumerable<IReadinessObserver> observers,
    IHostApplicationLifetime lifetime,
    AgentExitCode exitCode,
    ILogger<ReadinessService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WhenStarted(stoppingToken).ConfigureAwait(false);
            var uris = new List<string>();
            foreach (IMtpListener listener in listeners)
            {
                try
                {
                    uris.AddRange(await listener.WhenListening.WaitAsync(stoppingToken).ConfigureAwait(false));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogListenerFailed(listener.Name, e.Message);
                    exitCode.Fail(ExitCodes.Failure);
                    lifetime.StopApplication();
                    return;
                }
            }

            var state = new AgentReadyState(uris);
            LogReady(state.Summary);
            foreach (IReadinessObserver observer in observers)
            {
                observer.OnReady(state);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped before it was ready: nothing to announce.
        }
    }

    private async Task WhenStarted(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using CancellationTokenRegistration registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The {Mtp} MTP cannot listen: {Reason}. The agent stops.")]
    private partial void LogListenerFailed(string mtp, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Summary}")]
    private partial void LogReady(string summary);
}

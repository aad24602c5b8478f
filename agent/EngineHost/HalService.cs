using Microsoft.Extensions.Hosting;
using Usp.Hal;

namespace Usp.Agent.EngineHost;

/// <summary>
/// Runs the HAL from the moment the engine is open (its area is already in the engine's data model) until the
/// host stops: lines opened, poll loops and the output worker started, then stopped and the devices released.
/// </summary>
internal sealed class HalService(HalRuntime hal, AgentEngine engine) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        hal.Start(engine.Engine, _stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await hal.WhenStoppedAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A poll loop stuck in a bus transfer: the devices are released on dispose anyway.
        }
    }

    /// <summary>The host disposes its hosted services after they have stopped (and again on a failed start).</summary>
    public void Dispose()
    {
        hal.Dispose();
        _stopping.Dispose();
    }
}

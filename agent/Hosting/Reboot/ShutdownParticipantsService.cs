using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Usp.Agent.Hosting.Reboot;

/// <summary>
/// Flushes every <see cref="IShutdownParticipant"/> when the host stops. Registered first, so it stops
/// last: the MTPs have stopped taking requests by then.
/// </summary>
internal sealed partial class ShutdownParticipantsService(
    IEnumerable<IShutdownParticipant> participants,
    ILogger<ShutdownParticipantsService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (IShutdownParticipant participant in participants)
        {
            try
            {
                await participant.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // One participant failing must not keep the others from persisting.
                LogFlushFailed(participant.Name, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Participant} could not persist its state at shutdown.")]
    private partial void LogFlushFailed(string participant, Exception exception);
}

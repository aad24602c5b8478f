using Microsoft.Extensions.Hosting;

namespace Usp.Agent.Hosting;

/// <summary>
/// The agent's application lifetime: started once every service has started, stopping once anyone asks
/// (SIGTERM/SIGINT, a reboot request, a crashed service, a listener that cannot listen), stopped at the end.
/// </summary>
internal sealed class AgentLifetime : IHostApplicationLifetime, IDisposable
{
    private readonly CancellationTokenSource _started = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _stopped = new();

    public CancellationToken ApplicationStarted => _started.Token;

    public CancellationToken ApplicationStopping => _stopping.Token;

    public CancellationToken ApplicationStopped => _stopped.Token;

    public void StopApplication() => Signal(_stopping);

    public void NotifyStarted() => Signal(_started);

    public void NotifyStopped() => Signal(_stopped);

    public void Dispose()
    {
        _started.Dispose();
        _stopping.Dispose();
        _stopped.Dispose();
    }

    private static void Signal(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // A late request (a signal while the process exits) after the host is gone: nothing left to stop.
        }
    }
}

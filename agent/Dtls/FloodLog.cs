using Microsoft.Extensions.Logging;

namespace Usp.Agent.Dtls;

/// <summary>Logs a repeated condition (a flood) at most once every 10 s per kind, with how many were not logged.</summary>
internal sealed class FloodLog(ILogger logger)
{
    private readonly Dictionary<string, (long At, long Suppressed)> _last = [];

    public void Report(string kind, string message)
    {
        long now = Environment.TickCount64;
        lock (_last)
        {
            if (_last.TryGetValue(kind, out var entry) && now - entry.At < 10_000)
            {
                _last[kind] = (entry.At, entry.Suppressed + 1);
                return;
            }

            _last[kind] = (now, 0);
            logger.LogWarning("{Message}{Suppressed}", message, entry.Suppressed > 0 ? $" ({entry.Suppressed} more like it not logged)" : "");
        }
    }
}

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Usp.Agent.Hosting;

/// <summary>
/// Says, at start, which configured features this build does not provide yet, so nobody mistakes a
/// quiet agent for a working one. Each line goes away from Program.cs when its feature lands.
/// </summary>
internal sealed partial class NotYetAvailableReporter(AgentOptions options, ILogger<NotYetAvailableReporter> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.CoapsPort != 0)
        {
            LogMtp("CoAPS", options.CoapsPort);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Mtp} MTP is configured on UDP port {Port} but is not in this build yet: nothing listens there.")]
    private partial void LogMtp(string mtp, int port);
}

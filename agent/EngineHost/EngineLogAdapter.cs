using Microsoft.Extensions.Logging;
using Usp.DataModel;

namespace Usp.Agent.EngineHost;

/// <summary>The engine's log lines, through Microsoft.Extensions.Logging (journald under systemd).</summary>
internal sealed partial class EngineLogAdapter(ILogger logger) : IEngineLog
{
    public void Info(string message) => LogInfo(message);

    public void Warning(string message) => LogWarning(message);

    public void Error(string message) => LogError(message);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Message}")]
    private partial void LogInfo(string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Message}")]
    private partial void LogWarning(string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Message}")]
    private partial void LogError(string message);
}

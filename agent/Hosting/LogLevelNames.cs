using System.Collections.Immutable;
using Microsoft.Extensions.Logging;

namespace Usp.Agent.Hosting;

/// <summary>The log level names accepted by <c>--log-level</c> and <c>Agent:LogLevel</c>.</summary>
internal static class LogLevelNames
{
    public static readonly ImmutableArray<string> All = ["trace", "debug", "information", "warning", "error", "critical", "none"];

    public static string Choices => string.Join(", ", All);

    public static bool TryParse(string text, out LogLevel level)
    {
        int index = All.IndexOf(text.ToLowerInvariant());
        level = index >= 0 ? (LogLevel)index : LogLevel.None;
        return index >= 0;
    }
}

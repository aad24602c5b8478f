using Microsoft.Extensions.Logging;

namespace Usp.Agent.Hosting;

/// <summary>The log level names accepted by <c>--log-level</c> and <c>Agent:LogLevel</c>.</summary>
internal static class LogLevelNames
{
    // In LogLevel order. Not an ImmutableArray: that would load System.Collections.Immutable into every agent process.
    private static readonly string[] Names = ["trace", "debug", "information", "warning", "error", "critical", "none"];

    public static IReadOnlyList<string> All { get; } = Array.AsReadOnly(Names);

    public static string Choices => string.Join(", ", All);

    public static bool TryParse(string text, out LogLevel level)
    {
        int index = Array.IndexOf(Names, text.ToLowerInvariant());
        level = index >= 0 ? (LogLevel)index : LogLevel.None;
        return index >= 0;
    }
}

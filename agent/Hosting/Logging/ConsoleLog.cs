using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Usp.Agent.Hosting.Logging;

/// <summary>
/// The agent's log: one line per entry on <paramref name="writer"/> (stderr: stdout carries the banner and the
/// readiness line that scripts read), in the <see cref="ConsoleLogFormat.Simple"/> or the
/// <see cref="ConsoleLogFormat.Systemd"/> format, entries below <paramref name="minimumLevel"/> dropped.
/// </summary>
internal sealed class ConsoleLog(TextWriter writer, ConsoleLogFormat format, LogLevel minimumLevel, TimeProvider time) : ILoggerFactory
{
    private readonly Lock _gate = new();

    public ConsoleLogFormat Format => format;

    public LogLevel MinimumLevel => minimumLevel;

    public ILogger<T> For<T>() => new Logger<T>(this);

    public ILogger CreateLogger(string categoryName) => new CategoryLogger(this, categoryName);

    /// <summary>The agent's log has one destination, stderr; other providers are not supported.</summary>
    public void AddProvider(ILoggerProvider provider) =>
        throw new NotSupportedException("the agent's console log has a single destination; logging providers cannot be added");

    public void Dispose()
    {
        // Nothing to release: stderr belongs to the process.
    }

    private bool IsEnabled(LogLevel level) => level != LogLevel.None && level >= minimumLevel;

    private void Write(string category, LogLevel level, EventId eventId, string message, Exception? exception)
    {
        var line = new StringBuilder(message.Length + 64);
        if (format == ConsoleLogFormat.Systemd)
        {
            line.Append('<').Append(SyslogPriority(level)).Append('>');
        }
        else
        {
            line.Append(time.GetLocalNow().ToString("HH:mm:ss.fff ", CultureInfo.InvariantCulture)).Append(ShortName(level)).Append(": ");
        }

        line.Append(category).Append('[').Append(eventId.Id).Append("] ");
        AppendOnOneLine(line, message);
        if (exception is not null)
        {
            line.Append(' ');
            AppendOnOneLine(line, exception.ToString());
        }

        lock (_gate)
        {
            writer.WriteLine(line.ToString());
            writer.Flush();
        }
    }

    /// <summary>One entry, one line: journald and line-reading tools keep it together.</summary>
    private static void AppendOnOneLine(StringBuilder line, string text)
    {
        foreach (char c in text)
        {
            if (c == '\n')
            {
                line.Append(' ');
            }
            else if (c != '\r')
            {
                line.Append(c);
            }
        }
    }

    private static string ShortName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    /// <summary>The syslog priority journald reads: debug 7, info 6, warning 4, err 3, crit 2.</summary>
    private static int SyslogPriority(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => 7,
        LogLevel.Information => 6,
        LogLevel.Warning => 4,
        LogLevel.Error => 3,
        _ => 2,
    };

    private sealed class CategoryLogger(ConsoleLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => log.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (log.IsEnabled(logLevel))
            {
                log.Write(category, logLevel, eventId, formatter(state, exception), exception);
            }
        }
    }
}

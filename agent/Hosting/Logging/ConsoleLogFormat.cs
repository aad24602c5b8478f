namespace Usp.Agent.Hosting.Logging;

/// <summary>How a log line looks on stderr.</summary>
internal enum ConsoleLogFormat
{
    /// <summary><c>HH:mm:ss.fff info: Category[Event] message</c>, one line each: for a terminal or a file.</summary>
    Simple,

    /// <summary><c>&lt;6&gt;Category[Event] message</c>: journald reads the <c>&lt;N&gt;</c> priority prefix; it adds the time itself.</summary>
    Systemd,
}

namespace Usp.Agent.Hosting;

/// <summary>Everything the process was started with that shapes the host: kept apart from the process so tests can start hosts.</summary>
internal sealed record AgentLaunch
{
    /// <summary>The file given with <c>--config</c>; it must exist.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>Whether <c>/etc/usp-agent/usp-agent.json</c> is read when no <c>--config</c> is given.</summary>
    public bool ReadDefaultConfigFile { get; init; } = true;

    /// <summary>Configuration keys set by command-line options; the highest precedence.</summary>
    public IReadOnlyDictionary<string, string?> CommandLine { get; init; } = new Dictionary<string, string?>();

    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    /// <summary>Where the banner and the readiness line go (the process's stdout).</summary>
    public required TextWriter Output { get; init; }

    public required string CurrentDirectory { get; init; }

    public required string ExecutableDirectory { get; init; }

    public static AgentLaunch ForThisProcess(string? configFile, IReadOnlyDictionary<string, string?> commandLine, TextWriter output) => new()
    {
        ConfigFile = configFile,
        CommandLine = commandLine,
        Environment = ProcessEnvironment.Snapshot(),
        Output = output,
        CurrentDirectory = System.Environment.CurrentDirectory,
        ExecutableDirectory = AppContext.BaseDirectory,
    };
}

namespace Usp.Agent.Hosting.Systemd;

/// <summary>
/// The directories systemd makes for a service and names in its environment (systemd.exec(5),
/// "RuntimeDirectory="): <c>$STATE_DIRECTORY</c> becomes the data directory, <c>$RUNTIME_DIRECTORY</c> holds the
/// local administration socket, and <c>$CONFIGURATION_DIRECTORY</c> holds <c>usp-agent.json</c>.
/// </summary>
internal static class SystemdDirectories
{
    public const string StateVariable = "STATE_DIRECTORY";
    public const string RuntimeVariable = "RUNTIME_DIRECTORY";
    public const string ConfigurationVariable = "CONFIGURATION_DIRECTORY";
    public const string AdminSocketName = "usp-agent.sock";

    /// <summary>The configuration keys these directories set (<c>Agent:DataDir</c>, <c>Agent:AdminSocket</c>).</summary>
    public static IEnumerable<(string Key, string Value)> Read(IReadOnlyDictionary<string, string> environment)
    {
        if (First(environment, StateVariable) is { } state)
        {
            yield return ($"{AgentOptions.SectionName}:DataDir", state);
        }

        if (First(environment, RuntimeVariable) is { } runtime)
        {
            yield return ($"{AgentOptions.SectionName}:AdminSocket", Path.Combine(runtime, AdminSocketName));
        }
    }

    /// <summary>The first directory of a variable (systemd lists several, separated by ':', when the unit names several); null when unset.</summary>
    public static string? First(IReadOnlyDictionary<string, string> environment, string variable)
    {
        if (!environment.TryGetValue(variable, out string? value))
        {
            return null;
        }

        string first = value.Split(':', 2)[0];
        return Path.IsPathRooted(first) ? first : null;
    }
}

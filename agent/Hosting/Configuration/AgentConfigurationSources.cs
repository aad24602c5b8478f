using System.Text.Json;
using Usp.Agent.Hosting.Systemd;

namespace Usp.Agent.Hosting;

/// <summary>
/// Reads the agent's configuration layers into one map, lowest precedence first: the embedded
/// <c>appsettings.json</c>, the configuration file (<c>--config</c>, else <c>usp-agent.json</c> in systemd's
/// <c>$CONFIGURATION_DIRECTORY</c>, else <c>/etc/usp-agent/usp-agent.json</c>), the directories systemd made for the
/// service (<see cref="SystemdDirectories"/>), the environment (<c>USP_ENDPOINT_ID</c>, then
/// <c>USPAGENT__Section__Key</c>), and the command line.
/// Keys are <c>Section:Key</c>, case-insensitive; a later layer's value replaces an earlier one's.
/// </summary>
internal static class AgentConfigurationSources
{
    public const string DefaultConfigFile = "/etc/usp-agent/usp-agent.json";
    public const string ConfigFileName = "usp-agent.json";
    public const string EnvironmentPrefix = "USPAGENT__";
    public const string EndpointIdVariable = "USP_ENDPOINT_ID";
    public const string KeyDelimiter = ":";
    private const string EmbeddedDefaultsResource = "Usp.Agent.appsettings.json";

    public static IReadOnlyDictionary<string, string?> Read(AgentLaunch launch)
    {
        var configuration = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        JsonConfigurationReader.Read(EmbeddedDefaults(), configuration);

        string? file = launch.ConfigFile;
        if (file is null && launch.ReadDefaultConfigFile)
        {
            string defaultFile = SystemdDirectories.First(launch.Environment, SystemdDirectories.ConfigurationVariable) is { } directory
                ? Path.Combine(directory, ConfigFileName)
                : DefaultConfigFile;
            file = File.Exists(defaultFile) ? defaultFile : null;
        }

        if (file is not null)
        {
            try
            {
                JsonConfigurationReader.Read(ReadConfigFile(file), configuration);
            }
            catch (JsonException e)
            {
                throw new AgentConfigurationException($"the configuration file {file} is not valid JSON: {e.Message}");
            }
        }

        // Under systemd the unit's StateDirectory= and RuntimeDirectory= are the only writable places (ProtectSystem=strict):
        // they win over the file, and an operator's USPAGENT__ variable or option still wins over them.
        foreach ((string key, string value) in SystemdDirectories.Read(launch.Environment))
        {
            configuration[key] = value;
        }

        if (launch.Environment.TryGetValue(EndpointIdVariable, out string? endpointId))
        {
            configuration[$"{AgentOptions.SectionName}{KeyDelimiter}EndpointId"] = endpointId;
        }

        // USPAGENT__ variables come after USP_ENDPOINT_ID so the product-specific name wins.
        foreach ((string key, string? value) in FromEnvironment(launch.Environment).Concat(launch.CommandLine))
        {
            configuration[key] = value;
        }

        return configuration;
    }

    /// <summary>Maps <c>USPAGENT__Section__Key</c> variables onto <c>Section:Key</c> configuration keys.</summary>
    public static Dictionary<string, string?> FromEnvironment(IReadOnlyDictionary<string, string> environment)
    {
        // Configuration keys are case-insensitive; of two variables that differ only in case, the ordinal last wins.
        var keys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach ((string name, string value) in environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase) && name.Length > EnvironmentPrefix.Length)
            {
                keys[name[EnvironmentPrefix.Length..].Replace("__", KeyDelimiter, StringComparison.Ordinal)] = value;
            }
        }

        return keys;
    }

    private static byte[] ReadConfigFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new AgentConfigurationException($"the configuration file {path} does not exist.");
        }

        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentConfigurationException($"cannot read the configuration file {path}: {e.Message}");
        }
    }

    private static byte[] EmbeddedDefaults()
    {
        using Stream stream = typeof(AgentConfigurationSources).Assembly.GetManifestResourceStream(EmbeddedDefaultsResource)
            ?? throw new InvalidOperationException($"the embedded resource {EmbeddedDefaultsResource} is missing from the build");
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return bytes.ToArray();
    }
}

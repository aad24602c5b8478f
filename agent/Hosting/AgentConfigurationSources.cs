using Microsoft.Extensions.Configuration;

namespace Usp.Agent.Hosting;

/// <summary>
/// Adds the agent's configuration sources in the usual .NET precedence, lowest first: the embedded
/// <c>appsettings.json</c>, the configuration file (<c>/etc/usp-agent/usp-agent.json</c> or <c>--config</c>),
/// the environment (<c>USP_ENDPOINT_ID</c>, then <c>USPAGENT__Section__Key</c>), and the command line.
/// </summary>
internal static class AgentConfigurationSources
{
    public const string DefaultConfigFile = "/etc/usp-agent/usp-agent.json";
    public const string EnvironmentPrefix = "USPAGENT__";
    public const string EndpointIdVariable = "USP_ENDPOINT_ID";
    private const string EmbeddedDefaultsResource = "Usp.Agent.appsettings.json";

    /// <remarks>A <see cref="ConfigurationManager"/> loads each source as it is added, so a malformed file is reported here.</remarks>
    public static void Add(ConfigurationManager builder, AgentLaunch launch)
    {
        builder.AddJsonStream(EmbeddedDefaults());

        string? file = launch.ConfigFile ?? (launch.ReadDefaultConfigFile && File.Exists(DefaultConfigFile) ? DefaultConfigFile : null);
        if (file is not null)
        {
            try
            {
                builder.AddJsonStream(ReadConfigFile(file));
            }
            catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
            {
                throw new AgentConfigurationException($"the configuration file {file} is not valid JSON: {e.InnerException?.Message ?? e.Message}");
            }
        }

        if (launch.Environment.TryGetValue(EndpointIdVariable, out string? endpointId))
        {
            builder.AddInMemoryCollection([new($"{AgentOptions.SectionName}:EndpointId", endpointId)]);
        }

        // USPAGENT__ variables come after USP_ENDPOINT_ID so the product-specific name wins.
        builder.AddInMemoryCollection(FromEnvironment(launch.Environment));
        builder.AddInMemoryCollection(launch.CommandLine);
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
                keys[name[EnvironmentPrefix.Length..].Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal)] = value;
            }
        }

        return keys;
    }

    private static MemoryStream ReadConfigFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new AgentConfigurationException($"the configuration file {path} does not exist.");
        }

        try
        {
            return new MemoryStream(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentConfigurationException($"cannot read the configuration file {path}: {e.Message}");
        }
    }

    private static Stream EmbeddedDefaults() =>
        typeof(AgentConfigurationSources).Assembly.GetManifestResourceStream(EmbeddedDefaultsResource)
        ?? throw new InvalidOperationException($"the embedded resource {EmbeddedDefaultsResource} is missing from the build");
}

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

    public static void Add(IConfigurationBuilder builder, AgentLaunch launch)
    {
        builder.AddJsonStream(EmbeddedDefaults());

        string? file = launch.ConfigFile ?? (launch.ReadDefaultConfigFile && File.Exists(DefaultConfigFile) ? DefaultConfigFile : null);
        if (file is not null)
        {
            builder.AddJsonStream(ReadConfigFile(file));
        }

        builder.AddInMemoryCollection(FromEnvironment(launch.Environment));
        builder.AddInMemoryCollection(launch.CommandLine);
    }

    /// <summary>Maps environment variables onto configuration keys.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> FromEnvironment(IReadOnlyDictionary<string, string> environment)
    {
        if (environment.TryGetValue(EndpointIdVariable, out string? endpointId))
        {
            yield return new($"{AgentOptions.SectionName}:EndpointId", endpointId);
        }

        // USPAGENT__ variables come after USP_ENDPOINT_ID so the product-specific name wins.
        foreach ((string name, string value) in environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase) && name.Length > EnvironmentPrefix.Length)
            {
                yield return new(name[EnvironmentPrefix.Length..].Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal), value);
            }
        }
    }

    private static MemoryStream ReadConfigFile(string path)
    {
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

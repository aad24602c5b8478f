using System.Collections;

namespace Usp.Agent.Hosting;

/// <summary>A copy of the process environment, read once so the rest of the host is testable with any environment.</summary>
internal static class ProcessEnvironment
{
    public static IReadOnlyDictionary<string, string> Snapshot()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string name && entry.Value is string value)
            {
                variables[name] = value;
            }
        }

        return variables;
    }
}

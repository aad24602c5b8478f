namespace Usp.Agent.Hosting;

/// <summary>
/// How an operator runs this same executable from a shell, so that the banner's suggested command can be
/// pasted as it is: the bare name when it is found on PATH (an installed agent), else its full path (a
/// build output, e.g. under <c>dotnet run --project agent</c>), or <c>dotnet &lt;dll&gt;</c> when it runs on the
/// shared host.
/// </summary>
internal static class SelfCommand
{
    public static string Describe() => Describe(Environment.ProcessPath, Path.Combine(AppContext.BaseDirectory, "usp-agent.dll"), Environment.GetEnvironmentVariable("PATH"));

    internal static string Describe(string? processPath, string assemblyPath, string? pathVariable)
    {
        if (string.IsNullOrEmpty(processPath))
            return "usp-agent";

        string name = Path.GetFileName(processPath);
        if (name == "dotnet")
            return $"dotnet {Quote(assemblyPath)}";

        string? dir = Path.GetDirectoryName(processPath);
        bool onPath = (pathVariable ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(p => string.Equals(Path.TrimEndingDirectorySeparator(p), dir, StringComparison.Ordinal) &&
                      File.Exists(Path.Combine(p, name)));
        return onPath ? name : Quote(processPath);
    }

    private static string Quote(string path) => path.Contains(' ') ? $"'{path}'" : path;
}

namespace Usp.Tests.Support;

/// <summary>Where the repository and the interop peers are.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string InteropDir { get; } = Path.Combine(Root, "tests", "interop");

    /// <summary>The node binary; tests/run.sh installs nodejs when it is missing.</summary>
    public static string Node { get; } = FindOnPath("node");

    /// <summary>Fails with a clear message when tests/run.sh has not installed the npm peers.</summary>
    public static string RequireInteropPackages()
    {
        string modules = Path.Combine(InteropDir, "node_modules");
        if (!Directory.Exists(Path.Combine(modules, "coap")) || !Directory.Exists(Path.Combine(modules, "protobufjs")))
        {
            throw new InvalidOperationException($"npm packages are missing in {modules}: run tests/run.sh (or npm install in tests/interop)");
        }

        if (!File.Exists(Path.Combine(InteropDir, "usp-schemas", "usp-msg-1-4.json")))
        {
            throw new InvalidOperationException($"usp-js's USP schemas are missing in {InteropDir}/usp-schemas: run tests/run.sh (or tests/interop/fetch-usp-schemas.sh)");
        }

        return modules;
    }

    public static string FindOnPath(string program) =>
        TryFindOnPath(program) ?? throw new FileNotFoundException($"{program} is not installed: run tests/run.sh, which installs the test peers");

    /// <summary>The program's full path from PATH (then /usr/bin and /usr/local/bin), or null.</summary>
    public static string? TryFindOnPath(string program)
    {
        if (Path.IsPathRooted(program))
        {
            return File.Exists(program) ? program : null;
        }

        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/bin", "/usr/local/bin"]);
        return dirs.Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Usp.Agent.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Usp.Agent.sln above {AppContext.BaseDirectory}");
    }
}

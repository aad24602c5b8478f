namespace Usp.DataModel.Tests;

/// <summary>The repository the tests run from, for the files it ships (deploy/factory-defaults.txt).</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Usp.Agent.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException("Usp.Agent.sln not found above the test output directory.");
    }
}

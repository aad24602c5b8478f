namespace Usp.Agent.Hosting;

/// <summary>
/// Resolves a relative factory-defaults path so that <c>dotnet run --project agent</c> from the repository
/// root, the built binary under bin/, and an installed binary all find the file: the current directory
/// first, then the executable's directory, then the repository that contains the executable.
/// </summary>
internal sealed class FactoryDefaultsLocator(string currentDirectory, string executableDirectory)
{
    public const string DefaultRelativePath = "deploy/factory-defaults.txt";

    /// <summary>The marker file of the repository root.</summary>
    private const string RepositoryMarker = "Usp.Agent.sln";

    public string Resolve(string path)
    {
        if (Path.IsPathRooted(path))
        {
            return Path.GetFullPath(path);
        }

        foreach (string root in CandidateRoots())
        {
            string candidate = Path.GetFullPath(Path.Combine(root, path));
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        // Not found anywhere: report it where the operator would look first.
        return Path.GetFullPath(Path.Combine(currentDirectory, path));
    }

    private IEnumerable<string> CandidateRoots()
    {
        yield return currentDirectory;
        yield return executableDirectory;
        for (DirectoryInfo? dir = new(executableDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, RepositoryMarker)))
            {
                yield return dir.FullName;
                yield break;
            }
        }
    }
}

namespace Usp.Agent;

/// <summary>
/// Entry point logic. The full host (MTPs, engine, systemd) lands with its own issue; until then the
/// process reports what it is and where its state lives, and serves nothing.
/// </summary>
internal static class AgentProgram
{
    public static int Run(string[] args)
    {
        if (args.Contains("--version"))
        {
            Console.WriteLine(AgentVersion.Describe());
            return 0;
        }

        string dataDir = Path.GetFullPath(OptionValue(args, "--data-dir") ?? "var");
        Directory.CreateDirectory(dataDir);
        Console.WriteLine(AgentVersion.Describe());
        Console.WriteLine($"data directory: {dataDir}");
        Console.WriteLine("no MTP is available in this build yet: nothing is being served.");
        return 0;
    }

    private static string? OptionValue(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

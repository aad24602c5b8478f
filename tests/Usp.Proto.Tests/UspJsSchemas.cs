using System.Diagnostics;
using System.Text.Json;

namespace Usp.Proto.Tests;

/// <summary>
/// The Broadband Forum USP schemas as a third party ships them: the protobufjs JSON descriptors of the npm
/// package usp-js (USP 1.1–1.4), which tests/run.sh fetches into tests/interop/usp-schemas
/// (tests/interop/fetch-usp-schemas.sh), and an encoder of theirs (protobufjs, tests/interop/usp-encode.js).
/// </summary>
internal static class UspJsSchemas
{
    public static string RepoRoot { get; } = FindRoot();

    public static string SchemaDir { get; } = Path.Combine(RepoRoot, "tests", "interop", "usp-schemas");

    /// <summary>The descriptor root of e.g. "usp-msg-1-4" (a protobufjs namespace JSON).</summary>
    public static JsonElement Load(string name)
    {
        string file = Path.Combine(SchemaDir, name + ".json");
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"{file} is missing: run tests/run.sh (or tests/interop/fetch-usp-schemas.sh)", file);
        }

        using var document = JsonDocument.Parse(File.ReadAllText(file));
        return document.RootElement.Clone();
    }

    /// <summary>Encodes a protobufjs JSON object (camelCase fields) as <paramref name="typeName"/> of USP <paramref name="version"/>.</summary>
    public static byte[] Encode(string version, string typeName, string json)
    {
        string script = Path.Combine(RepoRoot, "tests", "interop", "usp-encode.js");
        var info = new ProcessStartInfo(FindNode())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { script, version, typeName })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start node");
        process.StandardInput.Write(json);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("usp-encode.js did not finish within 60 s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"usp-encode.js {version} {typeName} failed ({process.ExitCode}): {stderr}");
        }

        return Convert.FromHexString(stdout.GetAwaiter().GetResult().Trim());
    }

    private static string FindNode() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/usr/local/bin"])
            .Select(dir => Path.Combine(dir, "node"))
            .FirstOrDefault(File.Exists)
        ?? throw new FileNotFoundException("node is not installed: run tests/run.sh, which installs the test peers");

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

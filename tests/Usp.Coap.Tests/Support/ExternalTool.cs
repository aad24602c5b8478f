using System.Diagnostics;
using System.Text;
using Usp.Tests.Support;

namespace Usp.Coap.Tests.Support;

/// <summary>Finds and starts third-party peers (libcoap tools, node) for the interop tests; a missing tool fails the test.</summary>
internal static class ExternalTool
{
    public static string Require(string name, string installHint)
    {
        string? found = RepoPaths.TryFindOnPath(name);
        Assert.True(found is not null, $"'{name}' is required for this interop test but was not found on PATH. {installHint}");
        return found;
    }

    public static string LibcoapTool(string name) => Require(name, "Install it with: apt-get install libcoap3-bin");

    public static string Node() => Require("node", "Install Node.js (tests/run.sh does).");

    public static Process Start(string file, IEnumerable<string> args, string? workingDirectory = null, bool redirectStdin = true)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}");
    }

    public static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }
}

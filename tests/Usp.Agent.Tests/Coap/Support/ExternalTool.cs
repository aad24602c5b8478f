using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Usp.Agent.Tests.Coap.Support;

/// <summary>Runs third-party peers (libcoap tools, node) for the interop tests; a missing tool fails the test.</summary>
internal static class ExternalTool
{
    public static string Require(string name, string installHint)
    {
        if (Path.IsPathRooted(name) && File.Exists(name))
        {
            return name;
        }
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        Assert.Fail($"'{name}' is required for this interop test but was not found on PATH. {installHint}");
        return name;
    }

    public static string LibcoapTool(string name) => Require(name, "Install it with: apt-get install libcoap3-bin");

    public static string Node() => Require(File.Exists("/usr/bin/node") ? "/usr/bin/node" : "node", "Install Node.js (/usr/bin/node).");

    /// <summary>tests/interop, found by walking up from the test binaries.</summary>
    public static string InteropDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "interop");
            if (File.Exists(Path.Combine(candidate, "coap-peer.js")))
            {
                if (!Directory.Exists(Path.Combine(candidate, "node_modules", "coap")))
                {
                    Assert.Fail($"node-coap is not installed in {candidate}: run 'npm install' there.");
                }
                return candidate;
            }
        }
        Assert.Fail("tests/interop/coap-peer.js not found above " + AppContext.BaseDirectory);
        return string.Empty;
    }

    /// <summary>Runs a tool to completion; a tool that hangs is killed and fails the test.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> args,
        TimeSpan? timeout = null, string? workingDirectory = null)
    {
        using var process = Start(file, args, workingDirectory, redirectStdin: false);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(file)} {string.Join(' ', args)} did not finish in time. stderr: {await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

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

    /// <summary>A currently free UDP port on the loopback address (a tiny race remains until the tool binds it).</summary>
    public static int FreeUdpPort(IPAddress address)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

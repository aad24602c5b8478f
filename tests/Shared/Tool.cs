using System.Diagnostics;

namespace Usp.Tests.Support;

/// <summary>Runs a command-line program to completion (killed after a minute, or the given timeout) and captures its output.</summary>
internal static class Tool
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string program, IEnumerable<string> arguments, string? stdin = null,
        byte[]? stdinBytes = null, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return await RunAsync(info, stdin, stdinBytes, timeout);
    }

    /// <summary>Runs the program <paramref name="info"/> describes (stdio redirected) to completion.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(ProcessStartInfo info, string? stdin = null, byte[]? stdinBytes = null, TimeSpan? timeout = null)
    {
        string program = info.FileName;
        var arguments = info.ArgumentList;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (stdinBytes is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(stdinBytes);
        }
        else if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        TimeSpan limit = timeout ?? TimeSpan.FromSeconds(60);
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {limit.TotalSeconds} s; stderr: {await error}");
        }

        return (process.ExitCode, await output, await error);
    }
}

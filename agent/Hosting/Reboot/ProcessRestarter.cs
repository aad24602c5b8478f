using System.Diagnostics;

namespace Usp.Agent.Hosting.Reboot;

/// <summary>
/// Carries out a <see cref="RestartPlan"/> once the host has stopped and disposed (logs flushed), and
/// returns the process exit status. Logging is gone by then: failures go to stderr.
/// </summary>
internal sealed class ProcessRestarter(TextWriter output, TextWriter error)
{
    public int Restart(RestartMethod method, string? rebootCommand, int exitCode) => method switch
    {
        RestartMethod.ReExecute => ReExecute(),
        RestartMethod.ExitForServiceManager => ExitCodes.RestartRequested,
        RestartMethod.RunRebootCommand => RunRebootCommand(rebootCommand!),
        _ => exitCode,
    };

    private int ReExecute()
    {
        string[] argv = ProcessImage.ArgumentVector();
        output.Flush();
        string failure = ProcessImage.ReExecute(argv);

        // execv failed (the executable was replaced or removed, say): start a new copy and leave.
        error.WriteLine($"usp-agent: cannot re-execute {ProcessImage.SelfExecutable} ({failure}); starting a new process instead");
        var start = new ProcessStartInfo(ProcessImage.ExecutablePath()) { UseShellExecute = false };
        foreach (string argument in argv.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using Process? process = Process.Start(start);
            return process is null ? ExitCodes.Failure : ExitCodes.Success;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            error.WriteLine($"usp-agent: cannot restart: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    private int RunRebootCommand(string command)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        try
        {
            using Process process = Process.Start(start) ?? throw new IOException("the shell did not start");
            process.WaitForExit();
            if (process.ExitCode == 0)
            {
                return ExitCodes.Success;
            }

            error.WriteLine($"usp-agent: the reboot command '{command}' exited with status {process.ExitCode}");
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            error.WriteLine($"usp-agent: cannot run the reboot command '{command}': {e.Message}");
            return ExitCodes.Failure;
        }
    }
}

using System.Runtime.InteropServices;
using System.Text;

namespace Usp.Agent.Hosting.Reboot;

/// <summary>This process's executable and exact argument vector, as the kernel sees them, and a way to replace the process with a fresh copy.</summary>
internal static partial class ProcessImage
{
    public const string SelfExecutable = "/proc/self/exe";

    /// <summary>The original argv, including argv[0] (for <c>dotnet usp-agent.dll run</c>: dotnet, the dll, run).</summary>
    public static string[] ArgumentVector()
    {
        byte[] cmdline = File.ReadAllBytes("/proc/self/cmdline");
        string text = Encoding.UTF8.GetString(cmdline).TrimEnd('\0');
        return text.Split('\0');
    }

    /// <summary>The resolved path of the running executable (the target of /proc/self/exe).</summary>
    public static string ExecutablePath() =>
        new FileInfo(SelfExecutable).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? SelfExecutable;

    /// <summary>
    /// Replaces this process with a fresh copy of the same executable and arguments: same PID, same
    /// environment, same stdio. Returns only on failure, with the errno text.
    /// </summary>
    public static unsafe string ReExecute(string[] argv)
    {
        // The resolved path keeps the process name (comm) "usp-agent"; /proc/self/exe still works when the
        // file was replaced by an upgrade, and would rename the process "exe".
        string executable = ExecutablePath();
        if (!File.Exists(executable))
        {
            executable = SelfExecutable;
        }

        var pointers = new nint[argv.Length + 1];
        try
        {
            for (int i = 0; i < argv.Length; i++)
            {
                pointers[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
            }

            fixed (nint* argvPointer = pointers)
            {
                Execv(executable, argvPointer);
            }

            return Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
        }
        finally
        {
            foreach (nint pointer in pointers)
            {
                Marshal.FreeCoTaskMem(pointer);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Execv(string path, nint* argv);
}

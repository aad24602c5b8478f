using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Usp.Tests.Support;

/// <summary>
/// The usp-agent the end-to-end tests run. By default the build output beside the tests, under dotnet; with the
/// environment variable <c>USP_AGENT_UNDER_TEST</c> set to a published executable (publish.sh output: ReadyToRun or
/// NativeAOT, x64 or arm64), that executable — an aarch64 one on another host under qemu-aarch64-static, with the
/// loader and libraries of Debian's arm64 cross packages (see tests/agent-under-test.sh for why both variables).
/// </summary>
internal static class AgentUnderTest
{
    public const string Variable = "USP_AGENT_UNDER_TEST";

    private const ushort ElfMachineAarch64 = 183;

    /// <summary>The published executable under test, or null for the build output.</summary>
    public static string? Published { get; } = FindPublished();

    /// <summary>A start description for usp-agent with <paramref name="arguments"/>, stdio redirected.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.Environment.Remove("NOTIFY_SOCKET");
        info.Environment.Remove(Variable);
        var prefix = new List<string>();
        if (Published is null)
        {
            info.FileName = RepoPaths.FindOnPath("dotnet");
            prefix.Add(Path.Combine(AppContext.BaseDirectory, "usp-agent.dll"));
        }
        else if (NeedsQemu(Published))
        {
            info.FileName = RepoPaths.FindOnPath("qemu-aarch64-static");
            info.Environment["QEMU_LD_PREFIX"] = "/usr/aarch64-linux-gnu";
            info.Environment["LD_LIBRARY_PATH"] = "/usr/aarch64-linux-gnu/lib";
            prefix.Add(Published);
        }
        else
        {
            info.FileName = Published;
        }

        foreach (string argument in prefix.Concat(arguments))
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    private static bool NeedsQemu(string executable)
    {
        if (RuntimeInformation.OSArchitecture == Architecture.Arm64)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[20];
        using (var file = File.OpenRead(executable))
        {
            file.ReadExactly(header);
        }

        return header[..4].SequenceEqual("\x7f"u8.ToArray().Concat("ELF"u8.ToArray()).ToArray())
            && BitConverter.ToUInt16(header[18..]) == ElfMachineAarch64;
    }

    private static string? FindPublished()
    {
        string? path = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        path = Path.GetFullPath(path, RepoPaths.Root);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{Variable}={path}: no such executable (publish it with publish.sh first)", path);
    }
}

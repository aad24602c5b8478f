using System.Diagnostics;

namespace Usp.Bench.Load;

/// <summary>
/// How a published usp-agent is started here: a native one directly, an aarch64 one on another architecture under
/// qemu-aarch64-static with Debian's arm64 cross loader and libraries (as tests/agent-under-test.sh does). Under
/// qemu-user the process /proc describes is qemu's, so its memory includes the emulator's and its CPU the translation's.
/// </summary>
internal static class AgentLauncher
{
    public static bool IsForeignAarch64(string binary)
    {
        if (System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 || !File.Exists(binary))
        {
            return false;
        }

        Span<byte> header = stackalloc byte[20];
        using FileStream file = File.OpenRead(binary);
        return file.Read(header) == 20 && header[0] == 0x7F && header[1] == (byte)'E' && BitConverter.ToUInt16(header[18..]) == 183; // e_machine EM_AARCH64
    }

    public static ProcessStartInfo StartInfo(string binary)
    {
        if (!IsForeignAarch64(binary))
        {
            return new ProcessStartInfo(binary);
        }

        var info = new ProcessStartInfo("qemu-aarch64-static");
        info.ArgumentList.Add(binary);
        info.Environment["QEMU_LD_PREFIX"] = "/usr/aarch64-linux-gnu";
        info.Environment["LD_LIBRARY_PATH"] = "/usr/aarch64-linux-gnu/lib";
        return info;
    }
}

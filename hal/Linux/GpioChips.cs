using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Usp.Hal.Devices;

namespace Usp.Hal.Linux;

/// <summary>One GPIO character device: /dev/gpiochipN, the kernel's name and label for it, its line count.</summary>
public sealed record GpioChipInfo(int Number, string DevicePath, string Name, string Label, int Lines);

/// <summary>
/// Finds GPIO chips and lines with the kernel's GPIO character-device ioctls (chip info and line info, ABI v1, which
/// every kernel since 4.8 answers): a chip by number, by name (<c>gpiochip2</c>) or by label (gpio-sim's
/// <c>gpio-sim.0-node0</c>, a SoC's <c>pinctrl-bcm2711</c>), a line by the name the device tree or gpio-sim gave it.
/// </summary>
public static partial class GpioChips
{
    private const uint ChipInfoIoctl = 0x8044B401;  // _IOR(0xB4, 0x01, struct gpiochip_info), 68 bytes
    private const uint LineInfoIoctl = 0xC048B402;  // _IOWR(0xB4, 0x02, struct gpioline_info), 72 bytes

    /// <summary>Every /dev/gpiochipN that answers.</summary>
    public static IReadOnlyList<GpioChipInfo> All()
    {
        var chips = new List<GpioChipInfo>();
        if (!Directory.Exists("/dev"))
            return chips;
        foreach (string path in Directory.EnumerateFiles("/dev", "gpiochip*"))
        {
            if (int.TryParse(Path.GetFileName(path)["gpiochip".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && TryInfo(n, out var info))
                chips.Add(info);
        }
        return [.. chips.OrderBy(c => c.Number)];
    }

    /// <summary>The chip a device's <c>Chip</c> setting names.</summary>
    public static GpioChipInfo Find(string systemRoot, string chip)
    {
        _ = systemRoot;
        if (int.TryParse(chip, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
        {
            return TryInfo(number, out var info) ? info
                : throw new HalDeviceUnavailableException($"GPIO chip {number} is not there: no /dev/gpiochip{number} (or it cannot be opened){Present()}");
        }
        return All().FirstOrDefault(c => c.Name == chip || c.Label == chip)
            ?? throw new HalDeviceUnavailableException($"no GPIO chip is named or labelled '{chip}'{Present()}");
    }

    /// <summary>The offset of the line called <paramref name="name"/> on the chip.</summary>
    public static int FindLine(GpioChipInfo chip, string name)
    {
        using var handle = File.OpenHandle(chip.DevicePath, FileMode.Open, FileAccess.Read);
        Span<byte> info = stackalloc byte[72];
        for (int offset = 0; offset < chip.Lines; offset++)
        {
            info.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(info, (uint)offset);
            if (Ioctl(handle.DangerousGetHandle(), LineInfoIoctl, ref info[0]) == 0 && Text(info.Slice(8, 32)) == name)
                return offset;
        }
        throw new HalDeviceUnavailableException($"{chip.DevicePath} ({chip.Label}) has no line named '{name}'");
    }

    private static bool TryInfo(int number, out GpioChipInfo info)
    {
        info = null!;
        string path = $"/dev/gpiochip{number}";
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            Span<byte> raw = stackalloc byte[68];
            if (Ioctl(handle.DangerousGetHandle(), ChipInfoIoctl, ref raw[0]) != 0)
                return false;
            info = new GpioChipInfo(number, path, Text(raw[..32]), Text(raw.Slice(32, 32)), (int)BinaryPrimitives.ReadUInt32LittleEndian(raw[64..]));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string Present()
    {
        var chips = All();
        return chips.Count == 0
            ? "; this machine has no GPIO chips"
            : "; present: " + string.Join(", ", chips.Select(c => $"{c.Name} '{c.Label}' ({c.Lines} lines)"));
    }

    private static string Text(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? field : field[..end]);
    }

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(nint fd, nuint request, ref byte argument);
}

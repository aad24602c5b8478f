using System.Globalization;
using System.Text;

namespace Usp.DataModel;

/// <summary>What the system says about the device's identity, and where each part came from.</summary>
/// <param name="SerialNumber">Null when the system offers nothing usable (the engine then generates one once).</param>
/// <param name="ManufacturerOui">Six upper-case hex digits: the first permanent interface's OUI, else <see cref="SystemIdentityProbe.DefaultOui"/>.</param>
/// <param name="ModelName">The board's model from the device tree, else the DMI product name; null when neither says.</param>
public sealed record SystemIdentity(string? SerialNumber, string SerialSource, string ManufacturerOui, string OuiSource,
    string? ModelName = null, string ModelSource = "none found");

/// <summary>
/// Derives a device identity from the running system, the way a gateway's firmware would: the serial number from
/// the device tree (<c>/proc/device-tree/serial-number</c>), else the DMI product serial
/// (<c>/sys/class/dmi/id/product_serial</c>) when it holds a real value, else the MAC address of the first permanent
/// (<c>addr_assign_type</c> 0) non-loopback interface under <c>/sys/class/net</c>, else <c>/etc/machine-id</c>;
/// the OUI from that same interface's MAC address, else <see cref="DefaultOui"/>; the model name from the device
/// tree (<c>/proc/device-tree/model</c>, e.g. "Raspberry Pi 4 Model B Rev 1.4"), else the DMI product name
/// (<c>/sys/class/dmi/id/product_name</c>) when it holds a real value. Every path is read under
/// <c>root</c>, so tests fake /proc, /sys and /etc in a directory.
/// </summary>
public sealed class SystemIdentityProbe(string root)
{
    /// <summary>
    /// The OUI used when the device has no permanent network interface (some containers): a placeholder that says
    /// "not assigned". Configure <c>Agent:ManufacturerOui</c> (or set it in the factory defaults) on such devices.
    /// </summary>
    public const string DefaultOui = "000000";

    /// <summary>Values firmware leaves in DMI fields nobody filled in.</summary>
    private static readonly string[] PlaceholderSerials =
    [
        "to be filled by o.e.m.", "default string", "system serial number", "chassis serial number", "not specified",
        "not applicable", "none", "n/a", "na", "unknown", "invalid", "0123456789", "123456789", "serial", "empty",
    ];

    private const int MaxSerialLength = 64;

    public SystemIdentity Probe()
    {
        var mac = FirstPermanentMac();
        string oui = mac is { } m ? m.Address[..6] : DefaultOui;
        string ouiSource = mac is { } o ? $"MAC address of {o.Interface}" : "default (no permanent network interface)";
        var (serial, serialSource) = Serial(mac);
        var (model, modelSource) = Model();
        return new SystemIdentity(serial, serialSource, oui, ouiSource, model, modelSource);
    }

    private (string? Value, string Source) Serial((string Interface, string Address)? mac)
    {
        if (Meaningful(ReadText("proc/device-tree/serial-number")) is { } tree)
            return (tree, "device tree serial-number");
        if (Meaningful(ReadText("sys/class/dmi/id/product_serial")) is { } dmi)
            return (dmi, "DMI product serial");
        if (mac is { } first)
            return (first.Address, $"MAC address of {first.Interface}");
        foreach (var file in (string[])["etc/machine-id", "var/lib/dbus/machine-id"])
        {
            if (MachineId(ReadText(file)) is { } id)
                return (id, "/" + file);
        }
        return (null, "none found");
    }

    private (string? Value, string Source) Model()
    {
        if (Meaningful(ReadText("proc/device-tree/model")) is { } tree)
            return (tree, "device tree model");
        if (Meaningful(ReadText("sys/class/dmi/id/product_name")) is { } dmi)
            return (dmi, "DMI product name");
        return (null, "none found");
    }

    /// <summary>The lowest-ifindex interface with a permanent, non-zero 6-byte address that is not loopback.</summary>
    private (string Interface, string Address)? FirstPermanentMac()
    {
        string net = Path.Combine(root, "sys/class/net");
        if (!Directory.Exists(net))
            return null;
        var candidates = new List<(long Index, string Name, string Address)>();
        foreach (var dir in Directory.EnumerateFileSystemEntries(net))
        {
            string name = Path.GetFileName(dir);
            if (name == "lo" || ReadText(Path.Combine(dir, "type")) == "772") // ARPHRD_LOOPBACK
                continue;
            if (ReadText(Path.Combine(dir, "addr_assign_type")) != "0") // NET_ADDR_PERM
                continue;
            if (ParseMac(ReadText(Path.Combine(dir, "address"))) is not { } address)
                continue;
            long index = long.TryParse(ReadText(Path.Combine(dir, "ifindex")), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : long.MaxValue;
            candidates.Add((index, name, address));
        }
        if (candidates.Count == 0)
            return null;
        var best = candidates.OrderBy(c => c.Index).ThenBy(c => c.Name, StringComparer.Ordinal).First();
        return (best.Name, best.Address);
    }

    /// <summary><c>aa:bb:cc:dd:ee:ff</c> → <c>AABBCCDDEEFF</c>; null for anything else or all zeros.</summary>
    internal static string? ParseMac(string? text)
    {
        if (text is null)
            return null;
        var parts = text.Split(':');
        if (parts.Length != 6)
            return null;
        var sb = new StringBuilder(12);
        foreach (var part in parts)
        {
            if (part.Length != 2 || !char.IsAsciiHexDigit(part[0]) || !char.IsAsciiHexDigit(part[1]))
                return null;
            sb.Append(char.ToUpperInvariant(part[0])).Append(char.ToUpperInvariant(part[1]));
        }
        var mac = sb.ToString();
        return mac.All(c => c == '0') ? null : mac;
    }

    /// <summary>A serial number or model name worth using: printable, at most 64 characters, not a firmware placeholder, not one repeated character.</summary>
    internal static string? Meaningful(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > MaxSerialLength)
            return null;
        if (text.Any(c => char.IsControl(c) || c > '~'))
            return null;
        if (PlaceholderSerials.Contains(text.ToLowerInvariant()))
            return null;
        if (text.All(c => c == text[0]) || text.All(c => c is '0' or ' ' or '-' or ':'))
            return null;
        return text;
    }

    private static string? MachineId(string? text) =>
        text is { Length: 32 } id && id.All(char.IsAsciiHexDigit) && !id.All(c => c == '0') ? id.ToLowerInvariant() : null;

    /// <summary>The file's text without NULs (device-tree strings end in one) and surrounding white space; null when unreadable.</summary>
    private string? ReadText(string relative)
    {
        string path = Path.IsPathRooted(relative) ? relative : Path.Combine(root, relative);
        try
        {
            if (!File.Exists(path))
                return null;
            return File.ReadAllText(path).Replace("\0", "", StringComparison.Ordinal).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // product_serial is root-only; an unreadable source is simply not a source
        }
    }
}

using System.Text;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.Discovery;

/// <summary>
/// avahi-daemon for a test, inside one namespace of a <see cref="NetnsPair"/>, with a D-Bus system bus of its own
/// (a dbus-daemon on a socket in the test's directory, named to both through DBUS_SYSTEM_BUS_ADDRESS) and its
/// runtime directory on a private tmpfs, so it never meets the host's avahi or bus. With a services directory, that
/// directory is bind-mounted over /etc/avahi/services for this daemon only.
/// </summary>
internal sealed class AvahiDaemon
{
    private AvahiDaemon(string busAddress) => Environment = new Dictionary<string, string> { ["DBUS_SYSTEM_BUS_ADDRESS"] = busAddress };

    /// <summary>The environment avahi's clients (avahi-browse) need to reach this daemon.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    public static async Task<AvahiDaemon> StartAsync(NetnsPair pair, string ns, string hostName, string? servicesDirectory = null)
    {
        string dir = Path.Combine(pair.Directory.Path, "avahi-" + ns);
        System.IO.Directory.CreateDirectory(dir);
        string bus = Path.Combine(dir, "bus");
        File.WriteAllText(Path.Combine(dir, "dbus.conf"), $"""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>system</type>
              <listen>unix:path={bus}</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow user="*"/>
                <allow own="*"/>
                <allow send_destination="*"/>
                <allow receive_sender="*"/>
              </policy>
            </busconfig>
            """);
        File.WriteAllText(Path.Combine(dir, "avahi-daemon.conf"), $"""
            [server]
            host-name={hostName}
            use-ipv4=yes
            use-ipv6=yes
            enable-dbus=yes
            [wide-area]
            enable-wide-area=no
            [publish]
            publish-hinfo=no
            publish-workstation=no
            """);

        var daemon = new AvahiDaemon("unix:path=" + bus);
        PeerProcess dbus = pair.Start(ns, null, "dbus-daemon", "--config-file=" + Path.Combine(dir, "dbus.conf"), "--nofork", "--nopidfile");
        for (int i = 0; i < 100 && !File.Exists(bus); i++)
        {
            await Task.Delay(50);
        }

        if (!File.Exists(bus))
        {
            throw new InvalidOperationException($"dbus-daemon did not create {bus}: {dbus.Output}");
        }

        var script = new StringBuilder("mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon && ");
        if (servicesDirectory is not null)
        {
            script.Append("mount --bind '").Append(servicesDirectory).Append("' /etc/avahi/services && ");
        }

        script.Append("exec avahi-daemon -f '").Append(Path.Combine(dir, "avahi-daemon.conf")).Append("' --no-drop-root --no-chroot --no-rlimits");
        PeerProcess avahi = pair.Start(ns, daemon.Environment, "unshare", "-m", "sh", "-c", script.ToString());
        await avahi.WaitForLineAsync(l => l.Contains("Server startup complete", StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        return daemon;
    }

    /// <summary>Undoes avahi's escaping in parsable output (<c>\058</c> for ':', <c>\.</c> for '.').</summary>
    public static string Unescape(string text)
    {
        var result = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 3 < text.Length && char.IsAsciiDigit(text[i + 1]) && char.IsAsciiDigit(text[i + 2]) && char.IsAsciiDigit(text[i + 3]))
            {
                result.Append((char)int.Parse(text.AsSpan(i + 1, 3), System.Globalization.CultureInfo.InvariantCulture));
                i += 3;
            }
            else if (text[i] == '\\' && i + 1 < text.Length)
            {
                result.Append(text[++i]);
            }
            else
            {
                result.Append(text[i]);
            }
        }

        return result.ToString();
    }
}

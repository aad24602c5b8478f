using System.Globalization;
using Usp.Agent.Tests.Hosting;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.Discovery;

/// <summary>
/// A test that needs network namespaces (root, <c>ip netns</c>) and the mDNS peers tests/run.sh installs
/// (avahi-daemon, avahi-utils, python3-zeroconf, dbus). Skipped, with the reason, where they are missing.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NetnsFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Missing = new(FindMissing);

    public NetnsFactAttribute()
    {
        if (Missing.Value is { } reason)
        {
            Skip = reason;
        }
    }

    private static string? FindMissing()
    {
        foreach (string program in new[] { "ip", "avahi-daemon", "avahi-browse", "dbus-daemon", "coap-client-notls", "unshare" })
        {
            if (RepoPaths.TryFindOnPath(program) is null && RepoPaths.TryFindOnPath("/usr/sbin/" + program) is null && RepoPaths.TryFindOnPath("/sbin/" + program) is null)
            {
                return $"{program} is not installed (tests/run.sh installs it)";
            }
        }

        if (!File.Exists("/usr/lib/python3/dist-packages/zeroconf/__init__.py"))
        {
            return "python3-zeroconf is not installed (tests/run.sh installs it)";
        }

        string name = "ua14probe" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var (code, _, error) = Tool.RunAsync("ip", ["netns", "add", name]).GetAwaiter().GetResult();
        if (code != 0)
        {
            return $"network namespaces cannot be created here (ip netns add: {error.Trim()}); run the tests as root on a kernel that allows them";
        }

        Tool.RunAsync("ip", ["netns", "del", name]).GetAwaiter().GetResult();
        return null;
    }
}

/// <summary>
/// Two network namespaces joined by a veth pair with a private /30 that never leaves the pair: the agent's side
/// (<see cref="AgentNs"/>, address <see cref="AgentAddress"/>) and the peers' side (<see cref="PeerNs"/>). Removed,
/// with every process the test started in them, on dispose.
/// </summary>
internal sealed class NetnsPair : IAsyncDisposable
{
    private readonly List<PeerProcess> _processes = [];

    private NetnsPair(string tag, int subnet)
    {
        AgentNs = $"ua{tag}a";
        PeerNs = $"ua{tag}b";
        AgentVeth = $"ua{tag}va";
        PeerVeth = $"ua{tag}vb";
        AgentAddress = $"10.254.{subnet / 64}.{(subnet % 64 * 4) + 1}";
        PeerAddress = $"10.254.{subnet / 64}.{(subnet % 64 * 4) + 2}";
        Directory = new TempDirectory();
    }

    public string AgentNs { get; }
    public string PeerNs { get; }
    public string AgentVeth { get; }
    public string PeerVeth { get; }
    public string AgentAddress { get; }
    public string PeerAddress { get; }
    public TempDirectory Directory { get; }

    public static async Task<NetnsPair> CreateAsync()
    {
        int random = Random.Shared.Next(0, 64 * 250);
        var pair = new NetnsPair(random.ToString("x4", CultureInfo.InvariantCulture), random);
        try
        {
            await pair.RunAsync("ip", "netns", "add", pair.AgentNs);
            await pair.RunAsync("ip", "netns", "add", pair.PeerNs);
            await pair.RunAsync("ip", "link", "add", pair.AgentVeth, "type", "veth", "peer", "name", pair.PeerVeth);
            await pair.RunAsync("ip", "link", "set", pair.AgentVeth, "netns", pair.AgentNs);
            await pair.RunAsync("ip", "link", "set", pair.PeerVeth, "netns", pair.PeerNs);
            foreach ((string ns, string veth, string address) in new[] { (pair.AgentNs, pair.AgentVeth, pair.AgentAddress), (pair.PeerNs, pair.PeerVeth, pair.PeerAddress) })
            {
                // No duplicate-address detection: the link-local IPv6 address is usable at once.
                await pair.RunAsync("ip", "netns", "exec", ns, "sysctl", "-qw", $"net.ipv6.conf.{veth}.accept_dad=0");
                await pair.RunAsync("ip", "-n", ns, "addr", "add", address + "/30", "dev", veth);
                await pair.RunAsync("ip", "-n", ns, "link", "set", "lo", "up");
                await pair.RunAsync("ip", "-n", ns, "link", "set", veth, "up");
            }
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }

        return pair;
    }

    /// <summary>Starts a long-running program inside <paramref name="ns"/>; it is stopped when the pair is disposed.</summary>
    public PeerProcess Start(string ns, IReadOnlyDictionary<string, string>? environment, params string[] command)
    {
        PeerProcess process = PeerProcess.Start("ip", ["netns", "exec", ns, .. command], environment);
        lock (_processes)
        {
            _processes.Add(process);
        }

        return process;
    }

    /// <summary>Runs a program to completion inside <paramref name="ns"/>.</summary>
    public Task<(int ExitCode, string Output, string Error)> ExecAsync(string ns, TimeSpan timeout, params string[] command) =>
        Tool.RunAsync("ip", ["netns", "exec", ns, .. command], timeout: timeout);

    public async ValueTask DisposeAsync()
    {
        List<PeerProcess> processes;
        lock (_processes)
        {
            processes = [.. _processes];
        }

        foreach (PeerProcess process in Enumerable.Reverse(processes))
        {
            await process.DisposeAsync();
        }

        // Deleting a namespace deletes its end of the veth pair, and with it the other end.
        await Tool.RunAsync("ip", ["netns", "del", AgentNs]);
        await Tool.RunAsync("ip", ["netns", "del", PeerNs]);
        Directory.Dispose();
    }

    private async Task RunAsync(params string[] command)
    {
        var (code, output, error) = await Tool.RunAsync(command[0], command[1..]);
        if (code != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', command)} failed ({code}): {output}{error}");
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;

using Usp.Tests.Support;

namespace Usp.Bench.Load;

/// <summary>What /proc says about the agent process at one moment (kB; CPU in USER_HZ ticks).</summary>
internal readonly record struct ProcSample(long VmRssKb, long RssAnonKb, long VmHwmKb, long CpuTicks)
{
    public const double TicksPerSecond = 100; // USER_HZ on Linux

    public static ProcSample Of(int pid)
    {
        string status = File.ReadAllText($"/proc/{pid}/status");
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture); // utime + stime
        return new ProcSample(Kb(status, "VmRSS"), Kb(status, "RssAnon"), Kb(status, "VmHWM"), ticks);
    }

    private static long Kb(string status, string key)
    {
        foreach (string line in status.Split('\n'))
        {
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}

/// <summary>
/// The published agent started as a child process on free loopback ports (CoAP and coaps), with factory defaults that
/// give unknown Controllers full access (the UntrustedRole) and a development PKI for coaps; exec → "usp-agent ready" is timed.
/// </summary>
internal sealed class AgentUnderTest : IAsyncDisposable
{
    public const string AgentId = "proto::bench-agent";
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private AgentUnderTest(Process process, int coapPort, int coapsPort, double readyMs)
    {
        _process = process;
        CoapPort = coapPort;
        CoapsPort = coapsPort;
        ReadyMs = readyMs;
    }

    public int Pid => _process.Id;

    public int CoapPort { get; }

    public int CoapsPort { get; }

    /// <summary>exec → the "usp-agent ready" line on stdout.</summary>
    public double ReadyMs { get; }

    public ProcSample Sample() => ProcSample.Of(Pid);

    /// <summary>
    /// Two agent MTPs (coap and coaps; the ports in the file are placeholders the command line overrides), a
    /// full-access Role that is also the Untrusted role, and <paramref name="extra"/>.
    /// </summary>
    public static string FactoryDefaults(string extra) =>
        "Device.DeviceInfo.Manufacturer \"Usp.Agent\"\n"
        + FactoryDefaultsText.AgentCoapMtp(1, 5683, FactoryDefaultsText.EndpointIdPath)
        + FactoryDefaultsText.AgentCoapMtp(2, 5684, FactoryDefaultsText.EndpointIdPath, encrypted: true)
        + FactoryDefaultsText.FullAccessRole()
        + "Device.LocalAgent.ControllerTrust.UntrustedRole \"Device.LocalAgent.ControllerTrust.Role.1\"\n"
        + extra;

    /// <param name="binary">The published usp-agent.</param>
    /// <param name="directory">A fresh directory for its data, factory defaults and configuration.</param>
    /// <param name="pki">The development PKI (agent certificate and CA) for coaps.</param>
    /// <param name="factoryExtra">Lines appended to the factory defaults (Controllers for notifications).</param>
    /// <param name="configJson">The configuration file's text (Hal devices), or null.</param>
    /// <param name="environment">Extra environment (DOTNET_ GC knobs under comparison).</param>
    public static async Task<AgentUnderTest> StartAsync(string binary, string directory, Usp.Agent.Dtls.DevelopmentIdentity pki,
        string factoryExtra = "", string? configJson = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        Directory.CreateDirectory(directory);
        string defaults = Path.Combine(directory, "factory-defaults.txt");
        await File.WriteAllTextAsync(defaults, FactoryDefaults(factoryExtra));
        int coapPort = FreePorts.Udp();
        int coapsPort = FreePorts.Udp();
        ProcessStartInfo info = AgentLauncher.StartInfo(binary);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        foreach (string a in new[]
                 {
                     "run", "--data-dir", Path.Combine(directory, "var"), "--factory-defaults", defaults, "--endpoint-id", AgentId,
                     "--coap-port", coapPort.ToString(CultureInfo.InvariantCulture), "--coaps-port", coapsPort.ToString(CultureInfo.InvariantCulture),
                     "--bind", "127.0.0.1", "--no-mdns", "--log-level", "warning",
                     "--cert", pki.AgentCertificate, "--key", pki.AgentKey, "--trust-store", pki.CaCertificate,
                 })
        {
            info.ArgumentList.Add(a);
        }

        if (configJson is not null)
        {
            string config = Path.Combine(directory, "usp-agent.json");
            await File.WriteAllTextAsync(config, configJson);
            info.ArgumentList.Add("--config");
            info.ArgumentList.Add(config);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watch = Stopwatch.StartNew();
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        double readyMs = 0;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (e.Data.StartsWith("usp-agent ready", StringComparison.Ordinal) && !ready.Task.IsCompleted)
            {
                readyMs = watch.Elapsed.TotalMilliseconds;
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"{binary} exited before it was ready:\n{output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return new AgentUnderTest(process, coapPort, coapsPort, readyMs);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(Pid, 15); // SIGTERM: the agent stops cleanly
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
        }

        _process.Dispose();
    }
}

internal static partial class FreePorts
{
    public static int Udp()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return ((System.Net.IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

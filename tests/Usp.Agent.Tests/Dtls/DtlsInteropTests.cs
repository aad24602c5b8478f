using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Usp.Agent.Coap;
using Usp.Agent.Dtls;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.Dtls;

/// <summary>Our DTLS server against libcoap (OpenSSL and GnuTLS builds) and OpenSSL's s_client, on loopback with random ports.</summary>
public class DtlsInteropTests
{
    /// <summary>A coaps echo server on our transport.</summary>
    private sealed class EchoServer : IAsyncDisposable
    {
        public EchoServer(DtlsSecurity security, DtlsSessionSettings? settings = null)
        {
            Log = new ListLogger();
            Transport = DtlsTestPki.Bind(security, settings, Log);
            Endpoint = new CoapEndpoint(Transport);
            var server = new CoapServer(Endpoint);
            server.AddResource(new CoapResource("echo", (ctx, _) =>
                ValueTask.FromResult(new CoapResponse(CoapCode.Changed, (byte[])[.. "echo:"u8, .. ctx.Payload.Span]))));
            Endpoint.Start();
        }

        public ListLogger Log { get; }

        public DtlsCoapTransport Transport { get; }

        public CoapEndpoint Endpoint { get; }

        public string Uri => $"coaps://127.0.0.1:{Transport.LocalEndPoint.Port}/echo";

        public async ValueTask DisposeAsync()
        {
            await Endpoint.DisposeAsync();
            await Transport.DisposeAsync();
        }
    }

    private static Task<(int ExitCode, string Output, string Error)> CoapClient(string flavour, params string[] arguments) =>
        Tool.RunAsync($"coap-client-{flavour}", ["-B", "10", .. arguments], timeout: TimeSpan.FromSeconds(40));

    [Theory]
    [InlineData("openssl")]
    [InlineData("gnutls")]
    public async Task LibcoapClient_WithControllerCertificate_PostsOverCoaps_AndGetsTheAnswer(string flavour)
    {
        using var pki = new DtlsTestPki();
        await using var server = new EchoServer(pki.AgentSecurity());
        var (_, output, error) = await CoapClient(flavour, "-m", "post", "-e", "usp-record",
            "-c", pki.Identity.ControllerCertificate, "-j", pki.Identity.ControllerKey, "-R", pki.Identity.CaCertificate, server.Uri);

        Assert.True(output.Contains("echo:usp-record", StringComparison.Ordinal), $"stdout: {output}\nstderr: {error}\nagent log:\n{server.Log.Text}");
        Assert.Contains($"established: {DtlsTestPki.ControllerId}", server.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LibcoapClient_WithoutCertificate_IsRefused_AndTheLogNamesPeerAndReason()
    {
        using var pki = new DtlsTestPki();
        await using var server = new EchoServer(pki.AgentSecurity());
        var (_, output, _) = await CoapClient("openssl", "-m", "post", "-e", "x", "-R", pki.Identity.CaCertificate, server.Uri);

        Assert.DoesNotContain("echo:", output, StringComparison.Ordinal);
        Assert.Matches("refused: presented no certificate|handshake .* failed", server.Log.Text);
        Assert.Contains("127.0.0.1:", server.Log.Text, StringComparison.Ordinal);
        Assert.Equal(0, server.Transport.SessionCount);
    }

    [Fact]
    public async Task LibcoapClient_WithCertificateFromAnotherCa_IsRefusedAsUnknownCa()
    {
        using var pki = new DtlsTestPki();
        DevelopmentIdentity other = pki.Other("other");
        await using var server = new EchoServer(pki.AgentSecurity());
        var (_, output, _) = await CoapClient("openssl", "-m", "post", "-e", "x",
            "-c", other.ControllerCertificate, "-j", other.ControllerKey, "-R", pki.Identity.CaCertificate, server.Uri);

        Assert.DoesNotContain("echo:", output, StringComparison.Ordinal);
        Assert.Contains("unknown CA", server.Log.Text, StringComparison.Ordinal);
        Assert.Equal(0, server.Transport.SessionCount);
    }

    [Fact]
    public async Task LibcoapClient_WithPsk_PostsOverCoaps()
    {
        using var pki = new DtlsTestPki();
        var psk = new DtlsPsk("usp-psk-controller", "0123456789abcdef"u8.ToArray());
        await using var server = new EchoServer(pki.AgentSecurity(psk: psk));
        var (_, output, error) = await CoapClient("openssl", "-m", "post", "-e", "psk-record", "-u", psk.Identity, "-k", "0123456789abcdef", server.Uri);

        Assert.True(output.Contains("echo:psk-record", StringComparison.Ordinal), $"stdout: {output}\nstderr: {error}\nagent log:\n{server.Log.Text}");
        Assert.Contains("TLS_PSK_WITH_AES_128_CCM_8", server.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenSslClient_NegotiatesCcm8()
    {
        using var pki = new DtlsTestPki();
        await using var server = new EchoServer(pki.AgentSecurity());
        var (_, output, error) = await Tool.RunAsync("openssl",
        [
            "s_client", "-dtls1_2", "-cipher", "ECDHE-ECDSA-AES128-CCM8", "-connect", $"127.0.0.1:{server.Transport.LocalEndPoint.Port}",
            "-cert", pki.Identity.ControllerCertificate, "-key", pki.Identity.ControllerKey, "-CAfile", pki.Identity.CaCertificate,
            "-verify_return_error", "-verify_ip", "127.0.0.1",
        ], stdin: "", timeout: TimeSpan.FromSeconds(30));

        string all = output + error;
        Assert.True(all.Contains("ECDHE-ECDSA-AES128-CCM8", StringComparison.Ordinal), $"{all}\nagent log:\n{server.Log.Text}");
        Assert.Contains("Verify return code: 0 (ok)", all, StringComparison.Ordinal);
        Assert.Contains("TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", server.Log.Text, StringComparison.Ordinal);
    }
}

/// <summary>A packet capture of a handshake with our server: the stateless cookie exchange comes before any certificate.</summary>
public class DtlsCaptureTests
{
    [Fact]
    public async Task Capture_ShowsHelloVerifyRequestBeforeTheServerCertificate()
    {
        using var pki = new DtlsTestPki();
        var log = new ListLogger();
        await using var transport = DtlsTestPki.Bind(pki.AgentSecurity(), logger: log);
        await using var endpoint = new CoapEndpoint(transport);
        new CoapServer(endpoint).AddResource(new CoapResource("echo", (ctx, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Changed, "ok"u8.ToArray()))));
        endpoint.Start();
        int port = transport.LocalEndPoint.Port;

        await using var capture = LiveCapture.Start(port);
        await capture.WaitUntilLiveAsync(TimeSpan.FromSeconds(60));

        var (_, output, error) = await Tool.RunAsync("coap-client-openssl",
            ["-B", "10", "-m", "post", "-e", "x", "-c", pki.Identity.ControllerCertificate, "-j", pki.Identity.ControllerKey, "-R", pki.Identity.CaCertificate,
             $"coaps://127.0.0.1:{port}/echo"], timeout: TimeSpan.FromSeconds(40));
        Assert.True(output.Contains("ok", StringComparison.Ordinal), $"coap-client: {output} {error}\nserver log:\n{log.Text}");

        // dumpcap hands packets to tshark every half second or so: wait for the end of the server's clear-text flight (ServerHelloDone, 14).
        List<string> fromServer = await capture.HandshakeTypesFromAsync(port, until: "14", TimeSpan.FromSeconds(20));
        int helloVerify = fromServer.IndexOf("3");
        int certificate = fromServer.IndexOf("11");
        Assert.True(helloVerify >= 0 && certificate > helloVerify, $"server handshake types in order: {string.Join(' ', fromServer)}\n{capture.Detail}");
    }

    /// <summary>
    /// tshark decoding loopback UDP of one port as DTLS, printing each frame's source port and handshake types as it
    /// arrives (-l). tshark prints "Capturing on" before its dumpcap child has opened the interface (measured: the
    /// first 20-30 ms of datagrams after that line were missing on an idle machine, seconds' worth under load, which
    /// left a fast handshake entirely outside the capture): the capture counts as live only once it shows a probe
    /// datagram sent to the port (one byte, which the DTLS server ignores as shorter than a record header).
    /// </summary>
    private sealed class LiveCapture : IAsyncDisposable
    {
        private readonly Process _tshark;
        private readonly ConcurrentQueue<string> _frames = new();
        private readonly StringBuilder _stderr = new();
        private readonly Socket _probe = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly int _port;
        private int _probesSent;

        private LiveCapture(int port)
        {
            _port = port;
            _probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var info = new ProcessStartInfo("tshark") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            // Stops by itself after two minutes at the latest; disposed earlier.
            foreach (string a in new[]
                     {
                         "-i", "lo", "-f", $"udp port {port}", "-l", "-a", "duration:120", "-d", $"udp.port=={port},dtls",
                         "-T", "fields", "-e", "udp.srcport", "-e", "dtls.handshake.type",
                     })
            {
                info.ArgumentList.Add(a);
            }

            _tshark = Process.Start(info)!;
            _tshark.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { Length: > 0 } line)
                {
                    _frames.Enqueue(line);
                }
            };
            _tshark.ErrorDataReceived += (_, e) =>
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            };
            _tshark.BeginOutputReadLine();
            _tshark.BeginErrorReadLine();
        }

        public static LiveCapture Start(int port) => new(port);

        public string Detail
        {
            get
            {
                lock (_stderr)
                {
                    return $"{_probesSent} probes sent; frames (source port, handshake types):\n{string.Join('\n', _frames)}\ntshark stderr:\n{_stderr}";
                }
            }
        }

        public async Task WaitUntilLiveAsync(TimeSpan within)
        {
            string probePort = ((IPEndPoint)_probe.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture);
            var deadline = DateTime.UtcNow + within;
            while (!_frames.Any(f => f.Split('\t')[0] == probePort))
            {
                Assert.True(DateTime.UtcNow < deadline && !_tshark.HasExited, $"the capture never became live\n{Detail}");
                _probe.SendTo([0], new IPEndPoint(IPAddress.Loopback, _port));
                _probesSent++;
                await Task.Delay(100);
            }
        }

        /// <summary>The handshake types in frames from <paramref name="sourcePort"/>, in order, once one carries <paramref name="until"/> (or the time is up).</summary>
        public async Task<List<string>> HandshakeTypesFromAsync(int sourcePort, string until, TimeSpan within)
        {
            var deadline = DateTime.UtcNow + within;
            List<string> types = Types();
            while (!types.Contains(until) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
                types = Types();
            }

            return types;

            List<string> Types() => _frames
                .Select(l => l.Split('\t'))
                .Where(f => f.Length == 2 && f[0] == sourcePort.ToString(CultureInfo.InvariantCulture))
                .SelectMany(f => f[1].Split(',', StringSplitOptions.RemoveEmptyEntries))
                .ToList();
        }

        public async ValueTask DisposeAsync()
        {
            _probe.Dispose();
            if (!_tshark.HasExited)
            {
                // tshark captures through its child dumpcap: end both.
                _tshark.Kill(entireProcessTree: true);
                await _tshark.WaitForExitAsync();
            }

            _tshark.Dispose();
        }
    }
}

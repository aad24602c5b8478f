using System.Diagnostics;
using System.Net;
using System.Text;
using Usp.Agent.Coap;
using Usp.Agent.Dtls;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.Dtls;

/// <summary>Our DTLS client against servers that are not ours: libcoap's coap-server-openssl and openssl s_server.</summary>
public class DtlsClientInteropTests
{
    /// <summary>A port p with p+1 also free (coap-server serves coaps on -p plus one).</summary>
    private static int PortPair()
    {
        for (int i = 0; i < 50; i++)
        {
            int p = FreePort.Udp();
            if (p < 65000 && FreePort.IsUdpFree(p + 1))
            {
                return p;
            }
        }

        throw new InvalidOperationException("no free pair of UDP ports");
    }

    private static Process Start(string program, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Process process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }

        process.Dispose();
    }

    [Fact]
    public async Task AgentClient_GetsFromLibcoapServerOverCoaps_CheckingTheControllerEndpointId()
    {
        using var pki = new DtlsTestPki();
        int port = PortPair();
        Process server = Start("coap-server-openssl",
            ["-A", "127.0.0.1", "-p", port.ToString(), "-c", pki.Identity.ControllerCertificate, "-j", pki.Identity.ControllerKey, "-R", pki.Identity.CaCertificate]);
        try
        {
            await Task.Delay(500);
            var log = new ListLogger();
            await using var transport = DtlsTestPki.Bind(pki.AgentSecurity(), logger: log);
            transport.ClientTargetFor = peer => new DtlsClientTarget("127.0.0.1", DtlsTestPki.ControllerId);
            await using var endpoint = new CoapEndpoint(transport);
            endpoint.Start();
            var request = CoapRequest.FromUri(CoapMethod.Get, new Uri($"coap://127.0.0.1:{port + 1}/"));
            CoapResponse response = await new CoapClient(endpoint).SendAsync(request, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(CoapCode.Content, response.Code);
            Assert.Contains("libcoap", Encoding.UTF8.GetString(response.Payload.Span), StringComparison.Ordinal);
            Assert.Equal(DtlsTestPki.ControllerId, transport.PeerIdentity(new IPEndPoint(IPAddress.Loopback, port + 1))!.EndpointId);
        }
        finally
        {
            Stop(server);
        }
    }

    [Fact]
    public async Task AgentClient_RefusesAServerWhoseCertificateNamesAnotherController()
    {
        using var pki = new DtlsTestPki();
        int port = PortPair();
        Process server = Start("coap-server-openssl",
            ["-A", "127.0.0.1", "-p", port.ToString(), "-c", pki.Identity.ControllerCertificate, "-j", pki.Identity.ControllerKey, "-R", pki.Identity.CaCertificate]);
        try
        {
            await Task.Delay(500);
            var log = new ListLogger();
            await using var transport = DtlsTestPki.Bind(pki.AgentSecurity(), logger: log);
            transport.ClientTargetFor = peer => new DtlsClientTarget("gw.example.net", "proto::someone-else");
            transport.Start((_, _) => { });
            await Assert.ThrowsAnyAsync<IOException>(() => transport.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port + 1), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.True(log.Text.Contains("does not name EndpointID proto::someone-else", StringComparison.Ordinal), log.Text);
            Assert.Equal(0, transport.SessionCount);
        }
        finally
        {
            Stop(server);
        }
    }

    [Fact]
    public async Task AgentClient_ResumesItsSessionWithOpenSslServer()
    {
        using var pki = new DtlsTestPki();
        int port = FreePort.Udp();
        Process server = Start("openssl",
        [
            "s_server", "-dtls1_2", "-accept", $"127.0.0.1:{port}", "-naccept", "2", "-cert", pki.Identity.ControllerCertificate, "-key", pki.Identity.ControllerKey,
            "-CAfile", pki.Identity.CaCertificate, "-Verify", "1", "-quiet",
        ]);
        try
        {
            await Task.Delay(500);
            await using var transport = DtlsTestPki.Bind(pki.AgentSecurity());
            transport.ClientTargetFor = peer => new DtlsClientTarget("127.0.0.1", DtlsTestPki.ControllerId);
            transport.Start((_, _) => { });
            var peer = new IPEndPoint(IPAddress.Loopback, port);

            DtlsPeerIdentity first = await transport.ConnectAsync(peer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.False(first.Resumed);
            await transport.SendAsync("first\n"u8.ToArray(), peer, CancellationToken.None);
            Assert.True(transport.CloseSession(peer, "test"));
            await Task.Delay(300);

            DtlsPeerIdentity second = await transport.ConnectAsync(peer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(second.Resumed);
            Assert.Equal(DtlsTestPki.ControllerId, second.EndpointId);
            await transport.SendAsync("second\n"u8.ToArray(), peer, CancellationToken.None);
        }
        finally
        {
            Stop(server);
        }
    }
}

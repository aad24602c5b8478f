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

    /// <summary>libcoap's coap-server-openssl with the Controller's certificate (coaps on port + 1), given half a second to bind.</summary>
    private static async Task<PeerProcess> StartLibcoapServerAsync(DtlsTestPki pki, int port)
    {
        PeerProcess server = PeerProcess.Start("coap-server-openssl",
            ["-A", "127.0.0.1", "-p", port.ToString(), "-c", pki.Identity.ControllerCertificate, "-j", pki.Identity.ControllerKey, "-R", pki.Identity.CaCertificate]);
        await Task.Delay(500);
        return server;
    }

    [Fact]
    public async Task AgentClient_GetsFromLibcoapServerOverCoaps_CheckingTheControllerEndpointId()
    {
        using var pki = new DtlsTestPki();
        int port = PortPair();
        await using PeerProcess server = await StartLibcoapServerAsync(pki, port);
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

    [Fact]
    public async Task AgentClient_RefusesAServerWhoseCertificateNamesAnotherController()
    {
        using var pki = new DtlsTestPki();
        int port = PortPair();
        await using PeerProcess server = await StartLibcoapServerAsync(pki, port);
        var log = new ListLogger();
        await using var transport = DtlsTestPki.Bind(pki.AgentSecurity(), logger: log);
        transport.ClientTargetFor = peer => new DtlsClientTarget("gw.example.net", "proto::someone-else");
        transport.Start((_, _) => { });
        await Assert.ThrowsAnyAsync<IOException>(() => transport.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port + 1), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(log.Text.Contains("does not name EndpointID proto::someone-else", StringComparison.Ordinal), log.Text);
        Assert.Equal(0, transport.SessionCount);
    }

    [Fact]
    public async Task AgentClient_ResumesItsSessionWithOpenSslServer()
    {
        using var pki = new DtlsTestPki();
        int port = FreePort.Udp();
        await using PeerProcess server = PeerProcess.Start("openssl",
        [
            "s_server", "-dtls1_2", "-accept", $"127.0.0.1:{port}", "-naccept", "2", "-cert", pki.Identity.ControllerCertificate, "-key", pki.Identity.ControllerKey,
            "-CAfile", pki.Identity.CaCertificate, "-Verify", "1", "-quiet",
        ]);
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
}

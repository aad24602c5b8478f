using System.Net;
using System.Text;
using Usp.Agent.Coap;
using Usp.Agent.Dtls;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.Dtls;

/// <summary>Our DTLS transport in both roles, on loopback.</summary>
public class DtlsTransportTests
{
    private static CoapEndpoint EchoServer(DtlsCoapTransport transport)
    {
        var endpoint = new CoapEndpoint(transport);
        var server = new CoapServer(endpoint);
        server.AddResource(new CoapResource("echo", (ctx, _) =>
            ValueTask.FromResult(new CoapResponse(CoapCode.Changed, (byte[])[.. "echo:"u8, .. ctx.Payload.Span]))));
        endpoint.Start();
        return endpoint;
    }

    [Fact]
    public async Task MutualCertificateHandshake_CarriesCoapBothWays_AndNamesThePeers()
    {
        using var pki = new DtlsTestPki();
        var serverLog = new ListLogger();
        await using var serverTransport = DtlsTestPki.Bind(pki.AgentSecurity(), logger: serverLog);
        await using var server = EchoServer(serverTransport);
        await using var clientTransport = DtlsTestPki.Bind(pki.ControllerSecurity());
        clientTransport.ClientTargetFor = peer => new DtlsClientTarget(peer.Address.ToString(), DtlsTestPki.AgentId);
        await using var clientEndpoint = new CoapEndpoint(clientTransport);
        clientEndpoint.Start();
        var client = new CoapClient(clientEndpoint);

        var request = CoapRequest.FromUri(CoapMethod.Post, new Uri($"coap://127.0.0.1:{serverTransport.LocalEndPoint.Port}/echo"));
        request.Payload = "hello"u8.ToArray();
        CoapResponse response = await client.SendAsync(request, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(CoapCode.Changed, response.Code);
        Assert.Equal("echo:hello", Encoding.ASCII.GetString(response.Payload.Span));
        DtlsPeerIdentity? controller = serverTransport.PeerIdentity(new IPEndPoint(IPAddress.Loopback, clientTransport.LocalEndPoint.Port));
        Assert.NotNull(controller);
        Assert.Equal(DtlsTestPki.ControllerId, controller.EndpointId);
        Assert.True(controller.CertificateTrusted);
        Assert.Equal("TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", controller.CipherSuite);
        Assert.Equal(DtlsTestPki.AgentId, clientTransport.PeerIdentity(serverTransport.LocalEndPoint)!.EndpointId);
        Assert.True(serverTransport.HelloVerifyRequestsSent >= 1);

        // The handshake thread logs the session after marking it established, and the receive thread may serve the
        // request in between: on a loaded machine the answer can come back before the line is written.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!serverLog.Text.Contains("established", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Contains("established", serverLog.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectionId_KeepsTheSessionWhenANatGivesTheClientAnotherAddress_Rfc9146()
    {
        using var pki = new DtlsTestPki();
        var serverLog = new ListLogger();
        await using var serverTransport = DtlsTestPki.Bind(pki.AgentSecurity(), logger: serverLog);
        await using var server = EchoServer(serverTransport);
        await using var nat = new UdpRelay(serverTransport.LocalEndPoint);
        await using var clientTransport = DtlsTestPki.Bind(pki.ControllerSecurity());
        clientTransport.ClientTargetFor = peer => new DtlsClientTarget("127.0.0.1", DtlsTestPki.AgentId);
        await using var clientEndpoint = new CoapEndpoint(clientTransport);
        clientEndpoint.Start();
        var client = new CoapClient(clientEndpoint);
        async Task<string> EchoAsync(string text)
        {
            var request = CoapRequest.FromUri(CoapMethod.Post, new Uri($"coap://127.0.0.1:{nat.Port}/echo"));
            request.Payload = Encoding.ASCII.GetBytes(text);
            CoapResponse response = await client.SendAsync(request, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            return Encoding.ASCII.GetString(response.Payload.Span);
        }

        Assert.Equal("echo:before", await EchoAsync("before"));
        IPEndPoint before = nat.BackEndPoint;
        Assert.NotNull(serverTransport.PeerIdentity(before));
        long hellos = serverTransport.HelloVerifyRequestsSent;

        nat.RebindBack();
        Assert.Equal("echo:after", await EchoAsync("after"));

        // The same session, found by its Connection ID and moved to the new address: no new handshake.
        Assert.Equal(1, serverTransport.SessionCount);
        Assert.Equal(hellos, serverTransport.HelloVerifyRequestsSent);
        Assert.Null(serverTransport.PeerIdentity(before));
        Assert.Equal(DtlsTestPki.ControllerId, serverTransport.PeerIdentity(nat.BackEndPoint)!.EndpointId);
        Assert.Contains($"DTLS session moved from {before} to {nat.BackEndPoint}", serverLog.Text, StringComparison.Ordinal);
    }
}

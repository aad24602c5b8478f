using Usp.Agent.Coap;
using Usp.Coap.Tests.Support;
using Usp.Tests.Support;

namespace Usp.Coap.Tests;

/// <summary>The peer a transport reports reaches the resource handler unchanged: its address, and over a secured transport its session.</summary>
public sealed class CoapPeerTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("proto::controller")]
    public async Task The_handler_sees_the_transport_peer_with_its_session_and_authenticated_identity(string? identity)
    {
        var clock = new ManualTimeProvider();
        var network = new InMemoryNetwork();
        TestSecureSession? session = identity is null ? null : new TestSecureSession(identity);
        await using var server = new CoapEndpoint(network.CreateTransport(session), new CoapEndpointOptions { RunHandlersInline = true }, clock);
        await using var client = new CoapEndpoint(network.CreateTransport(), new CoapEndpointOptions(), clock);
        CoapPeer? seen = null;
        new CoapServer(server).AddResource(new CoapResource("r", (request, _) =>
        {
            seen = request.Peer;
            return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
        }));
        server.Start();
        client.Start();

        var request = new CoapRequest(CoapMethod.Post, server.LocalEndPoint);
        request.SetPath("r");
        await Drive.UntilDone(clock, new CoapClient(client).SendAsync(request));

        Assert.NotNull(seen);
        Assert.Equal(client.LocalEndPoint, seen.EndPoint);
        Assert.Equal(identity is not null, seen.IsEncrypted);
        Assert.Same(session, seen.Session);
        Assert.Equal(identity, seen.AuthenticatedIdentity);
        Assert.Equal(identity is not null, server.IsSecure);
    }
}

using System.Net;
using System.Net.Sockets;
using Usp.Agent.Coap;
using Usp.Coap.Tests.Support;
using Usp.Tests.Support;

namespace Usp.Coap.Tests;

public class CoapUdpTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Client_and_server_exchange_a_block_wise_post_and_get_over_udp_loopback(string address)
    {
        var loopback = IPAddress.Parse(address);
        await using var serverEndpoint = CoapEndpoint.BindUdp(new IPEndPoint(loopback, 0));
        await using var clientEndpoint = CoapEndpoint.BindUdp(new IPEndPoint(loopback, 0));
        var server = new CoapServer(serverEndpoint);
        byte[]? received = null;
        var big = new byte[20_000];
        new Random(1).NextBytes(big);
        server.AddResource(new CoapResource("e/agent", (ctx, _) =>
        {
            received = ctx.Payload.ToArray();
            return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
        }));
        server.AddResource(new CoapResource("big", (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content, big))));
        serverEndpoint.Start();
        clientEndpoint.Start();
        var client = new CoapClient(clientEndpoint);

        Assert.NotEqual(0, serverEndpoint.LocalEndPoint.Port);
        Assert.Equal(loopback, serverEndpoint.LocalEndPoint.Address);
        var body = new byte[10 * 1024];
        new Random(2).NextBytes(body);
        var post = new CoapRequest(CoapMethod.Post, serverEndpoint.LocalEndPoint) { Payload = body };
        post.SetPath("e/agent");
        var get = new CoapRequest(CoapMethod.Get, serverEndpoint.LocalEndPoint);
        get.SetPath("big");

        Assert.Equal(CoapCode.Changed, (await Drive.WithGuard(client.SendAsync(post))).Code);
        Assert.Equal(body, received);
        Assert.Equal(big, (await Drive.WithGuard(client.SendAsync(get))).Payload.ToArray());
    }

    [Fact]
    public async Task Ipv6_wildcard_endpoint_also_serves_ipv4_peers_and_sees_them_as_ipv4()
    {
        await using var serverEndpoint = CoapEndpoint.BindUdp(new IPEndPoint(IPAddress.IPv6Any, 0));
        await using var clientEndpoint = CoapEndpoint.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
        var server = new CoapServer(serverEndpoint);
        IPEndPoint? peer = null;
        server.AddResource(new CoapResource("r", (ctx, _) =>
        {
            peer = ctx.Peer.EndPoint;
            return ValueTask.FromResult(new CoapResponse(CoapCode.Content));
        }));
        serverEndpoint.Start();
        clientEndpoint.Start();

        var request = new CoapRequest(CoapMethod.Get, new IPEndPoint(IPAddress.Loopback, serverEndpoint.LocalEndPoint.Port));
        request.SetPath("r");
        var response = await Drive.WithGuard(new CoapClient(clientEndpoint).SendAsync(request));

        Assert.Equal(CoapCode.Content, response.Code);
        Assert.Equal(clientEndpoint.LocalEndPoint, peer);
    }

    [Fact]
    public async Task Sixteen_peers_with_requests_in_flight_are_all_served_without_head_of_line_blocking()
    {
        const int Peers = 16;
        await using var serverEndpoint = CoapEndpoint.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
        var server = new CoapServer(serverEndpoint);
        int inside = 0;
        var allInside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.AddResource(new CoapResource("e/agent", async (ctx, _) =>
        {
            // Every handler waits until all 16 are running at once: serial dispatch could never get there.
            if (Interlocked.Increment(ref inside) == Peers)
            {
                allInside.SetResult();
            }
            await allInside.Task.WaitAsync(TimeSpan.FromSeconds(30));
            return new CoapResponse(CoapCode.Changed, ctx.Payload);
        }));
        serverEndpoint.Start();

        var clients = new List<CoapEndpoint>();
        try
        {
            var sends = new List<Task<CoapResponse>>();
            for (int i = 0; i < Peers; i++)
            {
                var endpoint = CoapEndpoint.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
                endpoint.Start();
                clients.Add(endpoint);
                var request = new CoapRequest(CoapMethod.Post, serverEndpoint.LocalEndPoint) { Payload = new[] { (byte)i } };
                request.SetPath("e/agent");
                sends.Add(new CoapClient(endpoint).SendAsync(request));
            }
            var responses = await Drive.WithGuard(Task.WhenAll(sends));

            Assert.All(responses, r => Assert.Equal(CoapCode.Changed, r.Code));
            Assert.Equal(Enumerable.Range(0, Peers).Select(i => (byte)i), responses.Select(r => r.Payload.Span[0]));
        }
        finally
        {
            foreach (var endpoint in clients)
            {
                await endpoint.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Handler_that_blocks_its_thread_does_not_stall_other_peers()
    {
        await using var serverEndpoint = CoapEndpoint.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
        var server = new CoapServer(serverEndpoint);
        using var gate = new ManualResetEventSlim();
        server.AddResource(new CoapResource("blocking", (_, _) =>
        {
            gate.Wait(TimeSpan.FromSeconds(30)); // a badly behaved, synchronous handler
            return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
        }));
        server.AddResource(new CoapResource("fast", (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content))));
        serverEndpoint.Start();
        await using var a = CoapEndpoint.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
        await using var b = CoapEndpoint.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
        a.Start();
        b.Start();
        var blocked = new CoapRequest(CoapMethod.Post, serverEndpoint.LocalEndPoint);
        blocked.SetPath("blocking");
        var fast = new CoapRequest(CoapMethod.Get, serverEndpoint.LocalEndPoint);
        fast.SetPath("fast");

        var slowSend = new CoapClient(a).SendAsync(blocked);
        var fastResponse = await Drive.WithGuard(new CoapClient(b).SendAsync(fast));

        Assert.Equal(CoapCode.Content, fastResponse.Code);
        Assert.False(slowSend.IsCompleted);
        gate.Set();
        Assert.Equal(CoapCode.Changed, (await Drive.WithGuard(slowSend)).Code);
    }

    [Fact]
    public async Task Receive_loop_survives_garbage_and_keeps_serving()
    {
        await using var serverEndpoint = CoapEndpoint.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
        var server = new CoapServer(serverEndpoint);
        server.AddResource(new CoapResource("r", (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content))));
        serverEndpoint.Start();
        using (var raw = new UdpClient(AddressFamily.InterNetwork))
        {
            var random = new Random(3);
            for (int i = 0; i < 500; i++)
            {
                var junk = new byte[random.Next(0, 1500)];
                random.NextBytes(junk);
                await raw.SendAsync(junk, serverEndpoint.LocalEndPoint);
            }
        }
        await using var clientEndpoint = CoapEndpoint.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
        clientEndpoint.Start();
        var request = new CoapRequest(CoapMethod.Get, serverEndpoint.LocalEndPoint);
        request.SetPath("r");

        Assert.Equal(CoapCode.Content, (await Drive.WithGuard(new CoapClient(clientEndpoint).SendAsync(request))).Code);
    }

    [Fact]
    public async Task Disposing_the_endpoint_fails_requests_still_in_flight()
    {
        var clientEndpoint = CoapEndpoint.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
        clientEndpoint.Start();
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var request = new CoapRequest(CoapMethod.Get, (IPEndPoint)silent.Client.LocalEndPoint!);

        var sending = new CoapClient(clientEndpoint).SendAsync(request);
        await clientEndpoint.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => Drive.WithGuard(sending));
    }
}

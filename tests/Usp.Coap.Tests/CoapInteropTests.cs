using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Usp.Agent.Coap;
using Usp.Coap.Tests.Support;
using Usp.Tests.Support;

namespace Usp.Coap.Tests;

/// <summary>Our stack against two independent stacks: libcoap (C) and node-coap (JavaScript), on loopback with random ports.</summary>
public class CoapInteropTests
{
    private const string UspLink = "</e/agent>;rt=\"bbf.usp.endpoint\";if=\"bbf.usp.a\";ct=42";

    private static byte[] Body(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string Sha256(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>Our server with a USP-style endpoint resource that records every body it gets.</summary>
    private sealed class OurServer : IAsyncDisposable
    {
        public OurServer(IPAddress address)
        {
            Transport = new RecordingTransport(UdpCoapTransport.Bind(new IPEndPoint(address, 0)));
            Endpoint = new CoapEndpoint(Transport);
            var server = new CoapServer(Endpoint);
            server.AddResource(new CoapResource("e/agent", (ctx, _) =>
            {
                Bodies.Enqueue(ctx.Payload.ToArray());
                return ValueTask.FromResult(new CoapResponse(CoapCode.Changed,
                    Encoding.ASCII.GetBytes($"received {ctx.Payload.Length} sha256 {Sha256(ctx.Payload.Span)}")));
            })
            {
                Attributes = [new("rt", "bbf.usp.endpoint"), new("if", "bbf.usp.a"), new("ct", "42")],
                AllowedMethods = new HashSet<CoapMethod> { CoapMethod.Post },
                AcceptedContentFormats = new HashSet<ushort> { CoapContentFormat.OctetStream },
            });
            server.AddResource(new CoapResource("sensors/temp", (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content, "21.5"u8.ToArray())))
            {
                Attributes = [new("rt", "temperature-c")],
            });
            Endpoint.Start();
        }

        public RecordingTransport Transport { get; }
        public CoapEndpoint Endpoint { get; }
        public System.Collections.Concurrent.ConcurrentQueue<byte[]> Bodies { get; } = new();

        public string Uri(string path)
        {
            var ep = Endpoint.LocalEndPoint;
            string host = ep.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ep.Address}]" : ep.Address.ToString();
            return $"coap://{host}:{ep.Port}/{path}";
        }

        public ValueTask DisposeAsync() => Endpoint.DisposeAsync();
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Libcoap_client_gets_well_known_core_listing_the_usp_endpoint_and_honours_rt_filter(string address)
    {
        string client = ExternalTool.LibcoapTool("coap-client-notls");
        await using var server = new OurServer(IPAddress.Parse(address));

        var all = await Tool.RunAsync(client, ["-m", "get", "-B", "20", server.Uri(".well-known/core")]);
        var filtered = await Tool.RunAsync(client, ["-m", "get", "-B", "20", server.Uri(".well-known/core?rt=bbf.usp.*")]);

        Assert.Contains(UspLink, all.Output);
        Assert.Contains("</sensors/temp>;rt=\"temperature-c\"", all.Output);
        Assert.Equal(UspLink, filtered.Output.Trim());
    }

    [Fact]
    public async Task Libcoap_client_posts_10_KiB_in_64_byte_block1_blocks_and_gets_2_04_with_the_body_intact()
    {
        string client = ExternalTool.LibcoapTool("coap-client-notls");
        await using var server = new OurServer(IPAddress.Loopback);
        var body = Body(10 * 1024, 42);
        string file = Path.Combine(Path.GetTempPath(), $"coap-interop-{Guid.NewGuid():N}.bin");
        await File.WriteAllBytesAsync(file, body);
        try
        {
            var run = await Tool.RunAsync(client, ["-m", "post", "-b", "64", "-t", "42", "-f", file, "-B", "30", server.Uri("e/agent")]);

            Assert.Equal($"received 10240 sha256 {Sha256(body)}", run.Output.Trim());
            Assert.Equal(body, Assert.Single(server.Bodies));
            var replies = server.Transport.Sent.ToList();
            Assert.Equal(159, replies.Count(m => m.Code == CoapCode.Continue && m.Block1 is { SizeExponent: 2 }));
            Assert.Equal(CoapCode.Changed, Assert.Single(replies, m => m.Code.Class == 2 && m.Code != CoapCode.Continue).Code);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Our_client_posts_10_KiB_in_block1_to_libcoap_server_and_gets_it_back_in_block2()
    {
        string serverTool = ExternalTool.LibcoapTool("coap-server-notls");
        int port = FreePort.Udp(IPAddress.Loopback);
        // -d: the server creates dynamic resources on PUT/POST to unknown paths and serves them back on GET.
        using var process = ExternalTool.Start(serverTool, ["-A", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-d", "10"]);
        var recording = new RecordingTransport(UdpCoapTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
        await using var endpoint = new CoapEndpoint(recording);
        endpoint.Start();
        var client = new CoapClient(endpoint);
        var target = new IPEndPoint(IPAddress.Loopback, port);
        try
        {
            await WaitUntilServing(client, target, process);
            var body = Body(10 * 1024, 7);

            var post = new CoapRequest(CoapMethod.Post, target) { Payload = body, ContentFormat = CoapContentFormat.OctetStream };
            post.SetPath("interop-upload");
            var posted = await Drive.WithGuard(client.SendAsync(post));
            var get = new CoapRequest(CoapMethod.Get, target);
            get.SetPath("interop-upload");
            var fetched = await Drive.WithGuard(client.SendAsync(get));

            Assert.True(posted.IsSuccess, $"POST answered {posted.Code}");
            Assert.Equal(10, recording.Sent.Count(m => m.Code == CoapCode.FromMethod(CoapMethod.Post) && m.Block1 is not null));
            Assert.Equal(CoapCode.Content, fetched.Code);
            Assert.NotNull(fetched.Message!.Block2);
            Assert.Equal(body, fetched.Payload.ToArray());
        }
        finally
        {
            ExternalTool.Stop(process);
        }
    }

    [Fact]
    public async Task Node_coap_client_discovers_and_posts_10_KiB_in_block1_to_our_server()
    {
        string node = ExternalTool.Node();
        RepoPaths.RequireInteropPackages();
        string interop = RepoPaths.InteropDir;
        await using var server = new OurServer(IPAddress.Loopback);

        var run = await Tool.RunAsync(node,
            ["coap-peer.js", "client", "127.0.0.1", server.Endpoint.LocalEndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "2", "10240"],
            workingDirectory: interop);

        using var result = JsonDocument.Parse(run.Output.Trim().Split('\n')[^1]);
        var root = result.RootElement;
        Assert.False(root.TryGetProperty("error", out var error), error.ToString() + run.Error);
        Assert.Equal("2.05", root.GetProperty("wellKnownCode").GetString());
        Assert.Equal(UspLink, root.GetProperty("wellKnown").GetString());
        Assert.Equal("2.04", root.GetProperty("postCode").GetString());
        var received = Assert.Single(server.Bodies);
        Assert.Equal(10240, received.Length);
        Assert.Equal(root.GetProperty("sentSha256").GetString(), Sha256(received));
        Assert.Equal(159, server.Transport.Sent.Count(m => m.Code == CoapCode.Continue));
    }

    [Fact]
    public async Task Our_client_posts_block1_and_gets_block2_from_node_coap_server()
    {
        string node = ExternalTool.Node();
        RepoPaths.RequireInteropPackages();
        string interop = RepoPaths.InteropDir;
        int port = FreePort.Udp(IPAddress.Loopback);
        using var process = ExternalTool.Start(node,
            ["coap-peer.js", "server", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "10240"], interop, redirectStdin: false);
        try
        {
            var target = new IPEndPoint(IPAddress.Loopback, port);
            var recording = new RecordingTransport(UdpCoapTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
            await using var endpoint = new CoapEndpoint(recording);
            endpoint.Start();
            var client = new CoapClient(endpoint);
            await WaitUntilServing(client, target, process, "upload");
            var body = Body(10 * 1024, 9);

            var post = new CoapRequest(CoapMethod.Post, target) { Payload = body, ContentFormat = CoapContentFormat.OctetStream };
            post.SetPath("upload");
            var posted = await Drive.WithGuard(client.SendAsync(post));
            var check = new CoapRequest(CoapMethod.Get, target);
            check.SetPath("upload");
            var stored = await Drive.WithGuard(client.SendAsync(check));
            var big = new CoapRequest(CoapMethod.Get, target);
            big.SetPath("big");
            var fetched = await Drive.WithGuard(client.SendAsync(big));

            Assert.Equal(CoapCode.Changed, posted.Code);
            Assert.Equal(10, recording.Sent.Count(m => m.Code == CoapCode.FromMethod(CoapMethod.Post) && m.Block1 is not null));
            Assert.Equal($"10240 {Sha256(body)}", Encoding.ASCII.GetString(stored.Payload.Span));
            Assert.Equal(CoapCode.Content, fetched.Code);
            Assert.NotNull(fetched.Message!.Block2);
            Assert.Equal(Enumerable.Range(0, 10240).Select(i => (byte)(i * 7 % 251)), fetched.Payload.ToArray());
        }
        finally
        {
            ExternalTool.Stop(process);
        }
    }

    private static async Task WaitUntilServing(CoapClient client, IPEndPoint target, System.Diagnostics.Process process, string path = ".well-known/core")
    {
        for (int attempt = 0; attempt < 40; attempt++)
        {
            if (process.HasExited)
            {
                Assert.Fail("the peer server exited: " + process.StandardError.ReadToEnd());
            }
            var probe = new CoapRequest(CoapMethod.Get, target);
            probe.SetPath(path);
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            try
            {
                await client.SendAsync(probe, cts.Token);
                return;
            }
            catch (Exception e) when (e is OperationCanceledException or CoapException)
            {
                await Task.Delay(100);
            }
        }
        Assert.Fail("the peer server did not start serving");
    }
}

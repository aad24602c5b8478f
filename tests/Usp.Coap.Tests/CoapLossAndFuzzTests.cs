using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Usp.Agent.Coap;
using Usp.Coap.Tests.Support;
using Usp.Tests.Support;

namespace Usp.Coap.Tests;

public class CoapLossAndFuzzTests
{
    private sealed class LossyBed : IAsyncDisposable
    {
        public LossyBed(int seed)
        {
            // MAX_RETRANSMIT is raised so that, at 30% loss each way (49% per round trip), an exchange that
            // legitimately runs out of retransmissions is a ~1e-5 event; virtual time makes the back-off free.
            var options = new CoapEndpointOptions { MaxRetransmit = 16, RunHandlersInline = true };
            ServerTransport = new LossyTransport(Network.CreateTransport(), 0.3, seed);
            ClientTransport = new LossyTransport(Network.CreateTransport(), 0.3, seed + 1);
            ServerEndpoint = new CoapEndpoint(ServerTransport, options, Clock);
            ClientEndpoint = new CoapEndpoint(ClientTransport, options, Clock);
            Server = new CoapServer(ServerEndpoint);
            Client = new CoapClient(ClientEndpoint);
            ServerEndpoint.Start();
            ClientEndpoint.Start();
        }

        public ManualTimeProvider Clock { get; } = new();
        public InMemoryNetwork Network { get; } = new() { RecordSent = false };
        public LossyTransport ServerTransport { get; }
        public LossyTransport ClientTransport { get; }
        public CoapEndpoint ServerEndpoint { get; }
        public CoapEndpoint ClientEndpoint { get; }
        public CoapServer Server { get; }
        public CoapClient Client { get; }

        public async ValueTask DisposeAsync()
        {
            await ClientEndpoint.DisposeAsync();
            await ServerEndpoint.DisposeAsync();
        }
    }

    [Fact]
    public async Task Two_hundred_confirmable_exchanges_complete_over_30_percent_loss_and_none_is_processed_twice()
    {
        await using var bed = new LossyBed(seed: 1234);
        var processed = new ConcurrentDictionary<string, int>();
        bed.Server.AddResource(new CoapResource("e/agent", async (ctx, _) =>
        {
            string id = Encoding.ASCII.GetString(ctx.Payload.Span);
            processed.AddOrUpdate(id, 1, (_, n) => n + 1);
            if (id.EndsWith('0'))
            {
                await Task.Yield(); // some handlers finish asynchronously, some may go the separate-response way
            }
            return new CoapResponse(CoapCode.Changed, ctx.Payload);
        }));

        for (int i = 0; i < 200; i++)
        {
            var request = new CoapRequest(CoapMethod.Post, bed.ServerEndpoint.LocalEndPoint) { Payload = Encoding.ASCII.GetBytes($"req-{i}") };
            request.SetPath("e/agent");
            var response = await Drive.UntilDone(bed.Clock, bed.Client.SendAsync(request));
            Assert.Equal(CoapCode.Changed, response.Code);
            Assert.Equal($"req-{i}", Encoding.ASCII.GetString(response.Payload.Span));
        }

        Assert.Equal(200, processed.Count);
        Assert.All(processed, p => Assert.Equal(1, p.Value));
        Assert.True(bed.ServerTransport.Dropped > 20 && bed.ClientTransport.Dropped > 20, "the wrapper really dropped datagrams");
    }

    [Fact]
    public async Task Two_hundred_concurrent_exchanges_from_eight_peers_over_30_percent_loss_are_each_processed_once()
    {
        await using var bed = new LossyBed(seed: 4321);
        var processed = new ConcurrentDictionary<string, int>();
        bed.Server.AddResource(new CoapResource("e/agent", (ctx, _) =>
        {
            processed.AddOrUpdate(Encoding.ASCII.GetString(ctx.Payload.Span), 1, (_, n) => n + 1);
            return ValueTask.FromResult(new CoapResponse(CoapCode.Changed, ctx.Payload));
        }));
        var options = new CoapEndpointOptions { MaxRetransmit = 16, RunHandlersInline = true };
        var peers = new List<CoapEndpoint>();
        var sends = new List<Task<CoapResponse>>();
        for (int p = 0; p < 8; p++)
        {
            var endpoint = new CoapEndpoint(new LossyTransport(bed.Network.CreateTransport(), 0.3, 100 + p), options, bed.Clock);
            endpoint.Start();
            peers.Add(endpoint);
            var client = new CoapClient(endpoint);
            for (int i = 0; i < 25; i++)
            {
                var request = new CoapRequest(CoapMethod.Post, bed.ServerEndpoint.LocalEndPoint) { Payload = Encoding.ASCII.GetBytes($"p{p}-r{i}") };
                request.SetPath("e/agent");
                sends.Add(client.SendAsync(request)); // NSTART 1 queues these per peer
            }
        }

        var responses = await Drive.UntilDone(bed.Clock, Task.WhenAll(sends));

        Assert.All(responses, r => Assert.Equal(CoapCode.Changed, r.Code));
        Assert.Equal(200, responses.Select(r => Encoding.ASCII.GetString(r.Payload.Span)).Distinct().Count());
        Assert.Equal(200, processed.Count);
        Assert.All(processed, p => Assert.Equal(1, p.Value));
        foreach (var endpoint in peers)
        {
            await endpoint.DisposeAsync();
        }
    }

    [Fact]
    public async Task Block_wise_posts_and_gets_arrive_intact_over_30_percent_loss()
    {
        await using var bed = new LossyBed(seed: 99);
        var bodies = new ConcurrentBag<byte[]>();
        var big = new byte[6000];
        new Random(5).NextBytes(big);
        bed.Server.AddResource(new CoapResource("up", (ctx, _) =>
        {
            bodies.Add(ctx.Payload.ToArray());
            return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
        }));
        bed.Server.AddResource(new CoapResource("down", (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content, big))));

        for (int i = 0; i < 10; i++)
        {
            var body = new byte[5000 + i];
            new Random(i).NextBytes(body);
            var post = new CoapRequest(CoapMethod.Post, bed.ServerEndpoint.LocalEndPoint) { Payload = body };
            post.SetPath("up");
            Assert.Equal(CoapCode.Changed, (await Drive.UntilDone(bed.Clock, bed.Client.SendAsync(post))).Code);
            Assert.Contains(bodies, b => b.AsSpan().SequenceEqual(body));

            var get = new CoapRequest(CoapMethod.Get, bed.ServerEndpoint.LocalEndPoint);
            get.SetPath("down");
            Assert.Equal(big, (await Drive.UntilDone(bed.Clock, bed.Client.SendAsync(get))).Payload.ToArray());
        }
        Assert.Equal(10, bodies.Count);
    }

    [Fact]
    public async Task Corpus_seeded_random_and_mutated_datagrams_never_escape_stay_bounded_and_valid_traffic_is_still_served()
    {
        await using var bed = CoapTestBed.Create(configureServer: o =>
        {
            o.MaxDeduplicationEntries = 4096;
            o.PreferredBlockSize = 64;
        });
        bed.Network.RecordSent = false;
        bed.Server.AddResource(new CoapResource("e/agent", (ctx, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Changed, ctx.Payload))));
        bed.Server.AddResource(new CoapResource("big", (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content, new byte[3000]))));
        var serverTransport = bed.CreateRawPeer().Transport; // only used to reach the server's handler below
        // Our own encodings plus tests/corpus/coap-datagrams.hex (hand-encoded from RFC 7252, edge cases on purpose);
        // 100k datagrams, 1M with USP_LONG_TESTS=1.
        byte[][] seeds = [.. SeedDatagrams(), .. FuzzCorpus.Load("coap-datagrams.hex")];
        int iterations = FuzzCorpus.Iterations(100_000, 1_000_000);
        var random = new Random(20260101);
        var peers = Enumerable.Range(0, 64).Select(i => new IPEndPoint(IPAddress.Parse($"10.0.{i / 8}.{i % 8 + 1}"), 1000 + i)).ToArray();
        var inject = ServerInjector(bed);

        GC.Collect();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < iterations; i++)
        {
            byte[] datagram = random.Next(4) == 0 ? RandomBytes(random) : Mutate(seeds[random.Next(seeds.Length)], random);
            inject(datagram, peers[random.Next(peers.Length)]);
            if (i % 1000 == 999)
            {
                bed.Clock.Advance(TimeSpan.FromSeconds(3));
            }
        }
        long after = GC.GetTotalMemory(forceFullCollection: true);

        Assert.InRange(bed.ServerEndpoint.DeduplicationEntryCount, 0, 2 * 4096);
        Assert.InRange(bed.Server.ActiveBlock1Transfers, 0, bed.ServerOptions.MaxConcurrentReassemblies);
        Assert.InRange(after - before, long.MinValue, 64L * 1024 * 1024);
        var response = await bed.SendAsync(bed.Request(CoapMethod.Post, "e/agent", [7, 7]));
        Assert.Equal(CoapCode.Changed, response.Code);
        Assert.Equal(new byte[] { 7, 7 }, response.Payload.ToArray());
        Assert.Equal(3000, (await bed.SendAsync(bed.Request(CoapMethod.Get, "big"))).Payload.Length);
        _ = serverTransport;
    }

    /// <summary>Delivers a datagram to the server endpoint as the UDP receive loop would.</summary>
    private static Action<byte[], IPEndPoint> ServerInjector(CoapTestBed bed) => (datagram, from) => bed.ServerEndpoint.OnDatagram(datagram, new CoapPeer(from));

    private static byte[][] SeedDatagrams()
    {
        var seeds = new List<byte[]>();
        var get = RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Get, 1, ".well-known/core");
        get.AddOption(CoapOptionNumber.UriQuery, "rt=bbf.usp.*");
        seeds.Add(get.ToArray());
        var post = RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Post, 2, "e/agent", payload: new byte[40]);
        post.ContentFormat = CoapContentFormat.OctetStream;
        post.AddOption(CoapOptionNumber.UriQuery, "reply-to=127.0.0.1:5683/c");
        seeds.Add(post.ToArray());
        var block1 = RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Post, 3, "e/agent", payload: new byte[64]);
        block1.Block1 = new CoapBlockOption(0, true, 2);
        block1.SetUIntOption(CoapOptionNumber.Size1, 1000);
        seeds.Add(block1.ToArray());
        var block2 = RawPeer.Request(CoapMessageType.NonConfirmable, CoapMethod.Get, 4, "big");
        block2.Block2 = new CoapBlockOption(3, false, 2);
        seeds.Add(block2.ToArray());
        seeds.Add(new CoapMessage { Type = CoapMessageType.Acknowledgement, Code = CoapCode.Content, MessageId = 5, Token = new byte[] { 1 } }.ToArray());
        seeds.Add(new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Changed, MessageId = 6, Token = new byte[] { 1, 2 } }.ToArray());
        seeds.Add(new CoapMessage { Type = CoapMessageType.Reset, MessageId = 7 }.ToArray());
        return [.. seeds];
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 300)];
        random.NextBytes(bytes);
        if (bytes.Length > 0 && random.Next(2) == 0)
        {
            bytes[0] = (byte)(0x40 | (bytes[0] & 0x3F)); // version 1 more often, to get past the first check
        }
        return bytes;
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = new List<byte>(seed);
        int mutations = random.Next(1, 5);
        for (int m = 0; m < mutations && bytes.Count > 0; m++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                case 1: bytes[at] = (byte)random.Next(256); break;
                case 2: bytes.RemoveRange(at, bytes.Count - at); break;
                case 3: bytes.Insert(at, (byte)random.Next(256)); break;
                case 4: bytes.RemoveAt(at); break;
                default:
                    if (bytes.Count > 3)
                    {
                        bytes[2] = (byte)random.Next(256); // fresh message ID, so it is not just a duplicate
                        bytes[3] = (byte)random.Next(256);
                    }
                    break;
            }
        }
        return [.. bytes];
    }
}

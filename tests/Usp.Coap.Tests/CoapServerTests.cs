using System.Text;
using Usp.Agent.Coap;
using Usp.Coap.Tests.Support;

namespace Usp.Coap.Tests;

public class CoapServerTests
{
    private static byte[] Body(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static CoapResource UspEndpoint(string path, Action<CoapRequestContext>? seen = null) => new(path, (ctx, _) =>
    {
        seen?.Invoke(ctx);
        return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
    })
    {
        Attributes = [new("rt", "bbf.usp.endpoint"), new("if", "bbf.usp.a"), new("ct", "42")],
        AllowedMethods = new HashSet<CoapMethod> { CoapMethod.Post },
        AcceptedContentFormats = new HashSet<ushort> { CoapContentFormat.OctetStream },
    };

    [Fact]
    public async Task Work_a_handler_leaves_for_after_the_response_runs_once_the_response_is_sent()
    {
        await using var bed = CoapTestBed.Create();
        var peer = bed.CreateRawPeer();
        var repliesSeenByWork = new List<int>();
        bed.Server.AddResource(new CoapResource("r", (ctx, _) =>
        {
            ctx.RunAfterResponse(() => repliesSeenByWork.Add(peer.Received.Count));
            ctx.RunAfterResponse(() => throw new InvalidOperationException("logged, not fatal"));
            return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
        }));

        peer.Send(bed.ServerAddress, RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Post, 5, "r", token: [1], payload: [1]));
        peer.Send(bed.ServerAddress, RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Post, 5, "r", token: [1], payload: [1]));

        Assert.Equal([1], repliesSeenByWork); // after the 2.04 went out, and not again for the duplicate
        Assert.Equal([CoapCode.Changed, CoapCode.Changed], peer.Received.Select(m => m.Code));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Unknown_path_gets_4_04()
    {
        await using var bed = CoapTestBed.Create();
        var response = await bed.SendAsync(bed.Request(CoapMethod.Get, "nothing/here"));
        Assert.Equal(CoapCode.NotFound, response.Code);
    }

    [Fact]
    public async Task Method_not_allowed_on_a_resource_gets_4_05()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(UspEndpoint("e/agent"));
        Assert.Equal(CoapCode.MethodNotAllowed, (await bed.SendAsync(bed.Request(CoapMethod.Get, "e/agent"))).Code);
        Assert.Equal(CoapCode.MethodNotAllowed, (await bed.SendAsync(bed.Request(CoapMethod.Post, ".well-known/core"))).Code);
    }

    [Fact]
    public async Task Body_with_an_unaccepted_or_missing_content_format_gets_4_15()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(UspEndpoint("e/agent"));
        Assert.Equal(CoapCode.UnsupportedContentFormat,
            (await bed.SendAsync(bed.Request(CoapMethod.Post, "e/agent", [1], CoapContentFormat.TextPlain))).Code);
        Assert.Equal(CoapCode.UnsupportedContentFormat, (await bed.SendAsync(bed.Request(CoapMethod.Post, "e/agent", [1]))).Code);
        Assert.Equal(CoapCode.Changed,
            (await bed.SendAsync(bed.Request(CoapMethod.Post, "e/agent", [1], CoapContentFormat.OctetStream))).Code);
    }

    [Fact]
    public async Task Handler_sees_path_query_content_format_payload_and_peer()
    {
        await using var bed = CoapTestBed.Create();
        CoapRequestContext? seen = null;
        bed.Server.AddResource(UspEndpoint("/e/agent/", ctx => seen = ctx));
        var request = bed.Request(CoapMethod.Post, "e/agent", [1, 2, 3], CoapContentFormat.OctetStream);
        request.UriQuery.Add("reply-to=127.0.0.1:5683/c/controller");

        var response = await bed.SendAsync(request);

        Assert.Equal(CoapCode.Changed, response.Code);
        Assert.NotNull(seen);
        Assert.Equal("e/agent", seen.Path);
        Assert.Equal(CoapMethod.Post, seen.Method);
        Assert.Equal("127.0.0.1:5683/c/controller", seen.GetQueryParameter("reply-to"));
        Assert.Null(seen.GetQueryParameter("missing"));
        Assert.Equal((ushort)42, seen.ContentFormat);
        Assert.Equal(new byte[] { 1, 2, 3 }, seen.Payload.ToArray());
        Assert.Equal(bed.ClientEndpoint.LocalEndPoint, seen.Peer.EndPoint);
    }

    [Fact]
    public async Task Well_known_core_lists_resources_in_link_format_with_their_attributes()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(UspEndpoint("e/agent"));
        bed.Server.AddResource(new CoapResource("sensors/temp", (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content)))
        {
            Attributes = [new("rt", "temperature-c sensor"), new("if", "sensor")],
        });
        bed.Server.AddResource(new CoapResource("hidden", (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content))) { Discoverable = false });

        var response = await bed.SendAsync(bed.Request(CoapMethod.Get, ".well-known/core"));

        Assert.Equal(CoapCode.Content, response.Code);
        Assert.Equal(CoapContentFormat.LinkFormat, response.ContentFormat);
        var links = Encoding.UTF8.GetString(response.Payload.Span).Split(',').Order().ToArray();
        Assert.Equal(["</e/agent>;rt=\"bbf.usp.endpoint\";if=\"bbf.usp.a\";ct=42", "</sensors/temp>;rt=\"temperature-c sensor\";if=\"sensor\""], links);
    }

    [Theory]
    [InlineData("rt=bbf.usp.endpoint", "</e/agent>")]
    [InlineData("rt=bbf.usp.*", "</e/agent>")]
    [InlineData("rt=bbf*", "</e/agent>")]
    [InlineData("if=bbf.usp.a", "</e/agent>")]
    [InlineData("if=bbf.usp.c", "")]
    [InlineData("rt=sensor", "</sensors/temp>")]
    [InlineData("rt=temp*", "</sensors/temp>")]
    [InlineData("rt=bbf.usp", "")]
    [InlineData("href=/sensors*", "</sensors/temp>")]
    [InlineData("ct=42", "</e/agent>")]
    public async Task Well_known_core_honours_query_filters_with_trailing_star_prefix_match(string filter, string expectedHref)
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(UspEndpoint("e/agent"));
        bed.Server.AddResource(new CoapResource("sensors/temp", (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content)))
        {
            Attributes = [new("rt", "temperature-c sensor")],
        });
        var request = bed.Request(CoapMethod.Get, ".well-known/core");
        request.UriQuery.Add(filter);

        var body = Encoding.UTF8.GetString((await bed.SendAsync(request)).Payload.Span);

        Assert.Equal(expectedHref, body.Split(';')[0]);
    }

    [Fact]
    public async Task Large_post_is_sent_in_block1_blocks_and_reassembled_intact()
    {
        await using var bed = CoapTestBed.Create();
        byte[]? received = null;
        bed.Server.AddResource(UspEndpoint("e/agent", ctx => received = ctx.Payload.ToArray()));
        var body = Body(100_000);

        var response = await bed.SendAsync(bed.Request(CoapMethod.Post, "e/agent", body, CoapContentFormat.OctetStream));

        Assert.Equal(CoapCode.Changed, response.Code);
        Assert.Equal(body, received);
        var requests = bed.Network.Sent().Where(s => s.Message.IsRequest).Select(s => s.Message).ToList();
        Assert.Equal((100_000 + 1023) / 1024, requests.Count);
        Assert.Equal(100_000u, requests[0].TryGetUInt(CoapOptionNumber.Size1, out uint size1) ? size1 : 0);
        var continues = bed.Network.Sent().Where(s => s.Message.Code == CoapCode.Continue).ToList();
        Assert.Equal(requests.Count - 1, continues.Count);
        Assert.Equal(new CoapBlockOption((uint)requests.Count - 1, false, 6), response.Message!.Block1);
    }

    [Fact]
    public async Task Client_adapts_block1_size_to_the_smaller_size_the_server_asks_for()
    {
        await using var bed = CoapTestBed.Create(configureServer: o => o.PreferredBlockSize = 64);
        byte[]? received = null;
        bed.Server.AddResource(UspEndpoint("e/agent", ctx => received = ctx.Payload.ToArray()));
        var body = Body(3000, 2);

        var response = await bed.SendAsync(bed.Request(CoapMethod.Post, "e/agent", body, CoapContentFormat.OctetStream));

        Assert.Equal(CoapCode.Changed, response.Code);
        Assert.Equal(body, received);
        var blocks = bed.Network.Sent().Where(s => s.Message.IsRequest).Select(s => s.Message.Block1!.Value).ToList();
        Assert.Equal(new CoapBlockOption(0, true, 6), blocks[0]);
        // After 1024 bytes in one block, later NUMs count 64-byte blocks: 1024 / 64 = 16.
        Assert.Equal(new CoapBlockOption(16, true, 2), blocks[1]);
        Assert.Equal(1 + ((3000 - 1024 + 63) / 64), blocks.Count);
    }

    [Fact]
    public async Task Block1_block_out_of_order_gets_4_08_request_entity_incomplete()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(UspEndpoint("e/agent"));
        var peer = bed.CreateRawPeer();

        peer.Send(bed.ServerAddress, Block1Request(1, new CoapBlockOption(0, true, 2), 64));
        peer.Send(bed.ServerAddress, Block1Request(2, new CoapBlockOption(2, true, 2), 64));
        peer.Send(bed.ServerAddress, Block1Request(3, new CoapBlockOption(5, false, 2), 10));

        Assert.Equal([CoapCode.Continue, CoapCode.RequestEntityIncomplete, CoapCode.RequestEntityIncomplete], peer.Received.Select(m => m.Code));
    }

    private static CoapMessage Block1Request(ushort messageId, CoapBlockOption block, int length, uint? size1 = null)
    {
        var request = RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Post, messageId, "e/agent", payload: new byte[length]);
        request.ContentFormat = CoapContentFormat.OctetStream;
        request.Block1 = block;
        if (size1 is { } s)
        {
            request.SetUIntOption(CoapOptionNumber.Size1, s);
        }
        return request;
    }

    [Fact]
    public async Task Announced_size1_above_the_cap_gets_4_13_with_the_cap_in_size1()
    {
        await using var bed = CoapTestBed.Create(configureServer: o => o.MaxReassembledSize = 4096);
        bed.Server.AddResource(UspEndpoint("e/agent"));
        var peer = bed.CreateRawPeer();

        peer.Send(bed.ServerAddress, Block1Request(1, new CoapBlockOption(0, true, 6), 1024, size1: 5000));

        var reply = Assert.Single(peer.Received);
        Assert.Equal(CoapCode.RequestEntityTooLarge, reply.Code);
        Assert.True(reply.TryGetUInt(CoapOptionNumber.Size1, out uint cap));
        Assert.Equal(4096u, cap);
    }

    [Fact]
    public async Task Body_growing_past_the_cap_gets_4_13_and_the_client_sees_it()
    {
        await using var bed = CoapTestBed.Create(configureServer: o => o.MaxReassembledSize = 4096);
        int calls = 0;
        bed.Server.AddResource(UspEndpoint("e/agent", _ => calls++));

        var response = await bed.SendAsync(bed.Request(CoapMethod.Post, "e/agent", Body(5000), CoapContentFormat.OctetStream));

        Assert.Equal(CoapCode.RequestEntityTooLarge, response.Code);
        Assert.Equal(0, calls);
        Assert.Equal(0, bed.Server.ActiveBlock1Transfers);
    }

    [Fact]
    public async Task Concurrent_block1_transfers_per_peer_are_capped_with_5_03()
    {
        await using var bed = CoapTestBed.Create(configureServer: o => o.MaxConcurrentReassembliesPerPeer = 2);
        for (int i = 0; i < 3; i++)
        {
            bed.Server.AddResource(UspEndpoint($"e/{i}"));
        }
        var peer = bed.CreateRawPeer();
        var other = bed.CreateRawPeer();
        for (int i = 0; i < 3; i++)
        {
            var request = Block1Request((ushort)(10 + i), new CoapBlockOption(0, true, 2), 64);
            request.RemoveOptions(CoapOptionNumber.UriPath);
            request.AddOption(CoapOptionNumber.UriPath, "e");
            request.AddOption(CoapOptionNumber.UriPath, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            peer.Send(bed.ServerAddress, request);
            if (i == 2)
            {
                other.Send(bed.ServerAddress, request);
            }
        }

        Assert.Equal([CoapCode.Continue, CoapCode.Continue, CoapCode.ServiceUnavailable], peer.Received.Select(m => m.Code));
        Assert.Equal(CoapCode.Continue, Assert.Single(other.Received).Code);
    }

    [Fact]
    public async Task Unfinished_block1_transfers_share_a_byte_budget_and_blocks_beyond_it_get_5_03()
    {
        await using var bed = CoapTestBed.Create(configureServer: o => o.MaxTotalReassemblyBytes = 256);
        int calls = 0;
        bed.Server.AddResource(UspEndpoint("e/agent", _ => calls++));
        var a = bed.CreateRawPeer();
        var b = bed.CreateRawPeer();
        ushort mid = 1;

        for (uint n = 0; n < 2; n++)
        {
            a.Send(bed.ServerAddress, Block1Request(mid++, new CoapBlockOption(n, true, 2), 64));
            b.Send(bed.ServerAddress, Block1Request(mid++, new CoapBlockOption(n, true, 2), 64));
        }
        Assert.Equal(256, bed.Server.BufferedBlock1Bytes);
        a.Send(bed.ServerAddress, Block1Request(mid++, new CoapBlockOption(2, true, 2), 64));
        b.Send(bed.ServerAddress, Block1Request(mid++, new CoapBlockOption(2, false, 2), 10));

        Assert.Equal(CoapCode.ServiceUnavailable, a.Received[^1].Code);
        Assert.Equal(CoapCode.Changed, b.Received[^1].Code);
        Assert.Equal(1, calls);
        Assert.Equal(0, bed.Server.BufferedBlock1Bytes);
        a.Send(bed.ServerAddress, Block1Request(mid++, new CoapBlockOption(0, true, 2), 64));
        Assert.Equal(CoapCode.Continue, a.Received[^1].Code);
    }

    [Fact]
    public async Task Stale_block1_transfer_expires_after_exchange_lifetime()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(UspEndpoint("e/agent"));
        var peer = bed.CreateRawPeer();
        peer.Send(bed.ServerAddress, Block1Request(1, new CoapBlockOption(0, true, 2), 64));
        Assert.Equal(1, bed.Server.ActiveBlock1Transfers);

        bed.Clock.Advance(bed.ServerOptions.ExchangeLifetime + TimeSpan.FromSeconds(1));
        peer.Send(bed.ServerAddress, Block1Request(2, new CoapBlockOption(1, false, 2), 10));

        Assert.Equal(CoapCode.RequestEntityIncomplete, peer.Received[1].Code);
        Assert.Equal(0, bed.Server.ActiveBlock1Transfers);
    }

    [Fact]
    public async Task Block1_upload_that_never_finishes_is_dropped_after_exchange_lifetime_with_no_further_traffic()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(UspEndpoint("e/agent"));
        var peer = bed.CreateRawPeer();
        peer.Send(bed.ServerAddress, Block1Request(1, new CoapBlockOption(0, true, 2), 64));
        peer.Send(bed.ServerAddress, Block1Request(2, new CoapBlockOption(1, true, 2), 64));
        Assert.Equal(1, bed.Server.ActiveBlock1Transfers);
        Assert.Equal(128, bed.Server.BufferedBlock1Bytes);

        // The lifetime counts from the last block; nothing else arrives, the buffer is freed all the same.
        bed.Clock.Advance(bed.ServerOptions.ExchangeLifetime - TimeSpan.FromSeconds(1));
        Assert.Equal(1, bed.Server.ActiveBlock1Transfers);
        bed.Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, bed.Server.ActiveBlock1Transfers);
        Assert.Equal(0, bed.Server.BufferedBlock1Bytes);
    }

    [Fact]
    public async Task Large_response_is_served_in_block2_blocks_and_fetched_whole_by_the_client()
    {
        await using var bed = CoapTestBed.Create();
        var body = Body(10 * 1024 + 5, 3);
        int calls = 0;
        bed.Server.AddResource(new CoapResource("big", (_, _) =>
        {
            calls++;
            return ValueTask.FromResult(new CoapResponse(CoapCode.Content, body, CoapContentFormat.OctetStream));
        }));

        var response = await bed.SendAsync(bed.Request(CoapMethod.Get, "big"));

        Assert.Equal(body, response.Payload.ToArray());
        Assert.Equal(CoapContentFormat.OctetStream, response.ContentFormat);
        Assert.Equal(1, calls);
        var blocks = bed.Network.Sent().Where(s => s.Message.Type == CoapMessageType.Acknowledgement).Select(s => s.Message).ToList();
        Assert.Equal(11, blocks.Count);
        Assert.True(blocks[0].TryGetUInt(CoapOptionNumber.Size2, out uint size2));
        Assert.Equal((uint)body.Length, size2);
        Assert.All(blocks.Take(10), b => Assert.Equal(1024, b.Payload.Length));
        Assert.False(blocks[10].Block2!.Value.More);
    }

    [Fact]
    public async Task Client_refuses_a_block2_body_larger_than_its_reassembly_cap()
    {
        await using var bed = CoapTestBed.Create(configureClient: o => o.MaxReassembledSize = 4096);
        bed.Server.AddResource(new CoapResource("big", (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content, Body(10_000)))));

        var failure = await Assert.ThrowsAsync<CoapProtocolException>(() => bed.SendAsync(bed.Request(CoapMethod.Get, "big")));

        Assert.Contains("4096", failure.Message);
        Assert.Single(bed.Network.Sent(), s => s.Message.IsRequest); // refused on Size2, before fetching more
    }

    [Fact]
    public async Task Block2_honours_a_smaller_block_size_requested_by_the_client()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(new CoapResource("big", (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content, Body(100)))));
        var peer = bed.CreateRawPeer();
        var request = RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Get, 1, "big");
        request.Block2 = new CoapBlockOption(0, false, 0);

        peer.Send(bed.ServerAddress, request);
        request.MessageId = 2;
        request.Block2 = new CoapBlockOption(6, false, 0);
        peer.Send(bed.ServerAddress, request);
        request.MessageId = 3;
        request.Block2 = new CoapBlockOption(7, false, 0);
        peer.Send(bed.ServerAddress, request);

        var replies = peer.Received;
        Assert.Equal(16, replies[0].Payload.Length);
        Assert.Equal(new CoapBlockOption(0, true, 0), replies[0].Block2);
        Assert.Equal(4, replies[1].Payload.Length);
        Assert.Equal(new CoapBlockOption(6, false, 0), replies[1].Block2);
        Assert.Equal(CoapCode.BadOption, replies[2].Code);
    }

    [Fact]
    public async Task Block_option_with_reserved_szx_gets_4_00()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(UspEndpoint("e/agent"));
        var peer = bed.CreateRawPeer();
        var request = RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Post, 1, "e/agent", payload: [1]);
        request.ContentFormat = CoapContentFormat.OctetStream;
        request.SetUIntOption(CoapOptionNumber.Block1, 0x0F);

        peer.Send(bed.ServerAddress, request);

        Assert.Equal(CoapCode.BadRequest, Assert.Single(peer.Received).Code);
    }

    [Fact]
    public async Task Large_post_with_a_large_response_uses_block1_then_block2()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(new CoapResource("echo", (ctx, _) =>
            ValueTask.FromResult(new CoapResponse(CoapCode.Changed, ctx.Payload.ToArray().Reverse().ToArray()))));
        var body = Body(5000, 4);

        var response = await bed.SendAsync(bed.Request(CoapMethod.Post, "echo", body));

        Assert.Equal(CoapCode.Changed, response.Code);
        Assert.Equal(body.Reverse().ToArray(), response.Payload.ToArray());
    }

    [Fact]
    public async Task Proxy_uri_gets_5_05_proxying_not_supported()
    {
        await using var bed = CoapTestBed.Create();
        var request = bed.Request(CoapMethod.Get, "");
        request.Options.Add(CoapOption.FromString(CoapOptionNumber.ProxyUri, "coap://example.com/x"));
        Assert.Equal(CoapCode.ProxyingNotSupported, (await bed.SendAsync(request)).Code);
    }

    [Fact]
    public async Task Accept_that_the_resource_cannot_produce_gets_4_06()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(new CoapResource("r", (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content, "x"u8.ToArray(), CoapContentFormat.TextPlain))));
        var wrong = bed.Request(CoapMethod.Get, "r");
        wrong.Accept = CoapContentFormat.OctetStream;
        var right = bed.Request(CoapMethod.Get, "r");
        right.Accept = CoapContentFormat.TextPlain;

        Assert.Equal(CoapCode.NotAcceptable, (await bed.SendAsync(wrong)).Code);
        Assert.Equal(CoapCode.Content, (await bed.SendAsync(right)).Code);
    }

    [Fact]
    public async Task Removed_resource_is_no_longer_served_or_listed()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(UspEndpoint("e/agent"));
        Assert.True(bed.Server.RemoveResource("/e/agent"));

        Assert.Equal(CoapCode.NotFound, (await bed.SendAsync(bed.Request(CoapMethod.Post, "e/agent"))).Code);
        Assert.Empty((await bed.SendAsync(bed.Request(CoapMethod.Get, ".well-known/core"))).Payload.ToArray());
    }

    [Fact]
    public void Request_from_a_coap_uri_carries_destination_path_and_query()
    {
        var request = CoapRequest.FromUri(CoapMethod.Post, new Uri("coap://[::1]:6000/e/ctrl%20x?reply-to=a:1/b&x"));
        Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Loopback, 6000), request.Destination);
        Assert.Equal(["e", "ctrl x"], request.UriPath);
        Assert.Equal(["reply-to=a:1/b", "x"], request.UriQuery);
        Assert.Throws<ArgumentException>(() => CoapRequest.FromUri(CoapMethod.Get, new Uri("coap://example.com/x")));
    }
}

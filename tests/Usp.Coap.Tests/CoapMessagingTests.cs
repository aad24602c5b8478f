using System.Net;
using Usp.Agent.Coap;
using Usp.Coap.Tests.Support;
using Usp.Tests.Support;

namespace Usp.Coap.Tests;

public class CoapMessagingTests
{
    private static CoapResource Echo(string path, Action? onCall = null) => new(path, (ctx, _) =>
    {
        onCall?.Invoke();
        return ValueTask.FromResult(new CoapResponse(CoapCode.Content, ctx.Payload));
    });

    [Fact]
    public async Task Confirmable_request_gets_a_piggybacked_response_in_the_ack()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(Echo("r"));

        var response = await bed.SendAsync(bed.Request(CoapMethod.Get, "r"));

        Assert.Equal(CoapCode.Content, response.Code);
        var sent = bed.Network.Sent();
        Assert.Equal(2, sent.Count);
        Assert.Equal(CoapMessageType.Confirmable, sent[0].Message.Type);
        Assert.Equal(CoapMessageType.Acknowledgement, sent[1].Message.Type);
        Assert.Equal(sent[0].Message.MessageId, sent[1].Message.MessageId);
        Assert.Equal(sent[0].Message.Token.ToArray(), sent[1].Message.Token.ToArray());
    }

    [Fact]
    public async Task Unacknowledged_request_is_retransmitted_with_exponential_backoff_then_times_out()
    {
        await using var bed = CoapTestBed.Create();
        var start = bed.Clock.GetUtcNow();
        var sendTimes = new List<double>();
        bed.Network.Filter = (from, to, _) =>
        {
            sendTimes.Add((bed.Clock.GetUtcNow() - start).TotalSeconds);
            return false;
        };

        var failure = await Assert.ThrowsAsync<CoapTimeoutException>(() => bed.SendAsync(bed.Request(CoapMethod.Get, "r")));

        // ACK_TIMEOUT 2 s (random factor pinned to 1.0), doubling, MAX_RETRANSMIT 4, give up after MAX_TRANSMIT_WAIT.
        Assert.Equal([0d, 2, 6, 14, 30], sendTimes);
        Assert.Equal(62, (bed.Clock.GetUtcNow() - start).TotalSeconds);
        Assert.Contains("4 retransmissions", failure.Message);
        Assert.Equal(0, bed.ClientEndpoint.PendingExchangeCount);
    }

    [Fact]
    public async Task Initial_retransmission_timeout_lies_between_ack_timeout_and_ack_timeout_times_random_factor()
    {
        for (int run = 0; run < 10; run++)
        {
            await using var bed = CoapTestBed.Create(configureClient: o => o.AckRandomFactor = 1.5);
            var start = bed.Clock.GetUtcNow();
            var sendTimes = new List<TimeSpan>();
            bed.Network.Filter = (_, _, _) =>
            {
                sendTimes.Add(bed.Clock.GetUtcNow() - start);
                return false;
            };
            await Assert.ThrowsAsync<CoapTimeoutException>(() => bed.SendAsync(bed.Request(CoapMethod.Get, "r")));
            Assert.InRange(sendTimes[1], TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3));
            Assert.Equal((sendTimes[2] - sendTimes[1]).Ticks, 2 * sendTimes[1].Ticks);
        }
    }

    [Fact]
    public async Task Retransmission_parameters_are_configurable()
    {
        await using var bed = CoapTestBed.Create(configureClient: o =>
        {
            o.AckTimeout = TimeSpan.FromMilliseconds(500);
            o.MaxRetransmit = 2;
        });
        var start = bed.Clock.GetUtcNow();
        var sendTimes = new List<double>();
        bed.Network.Filter = (_, _, _) =>
        {
            sendTimes.Add((bed.Clock.GetUtcNow() - start).TotalSeconds);
            return false;
        };

        await Assert.ThrowsAsync<CoapTimeoutException>(() => bed.SendAsync(bed.Request(CoapMethod.Get, "r")));

        Assert.Equal([0d, 0.5, 1.5], sendTimes);
        Assert.Equal(3.5, (bed.Clock.GetUtcNow() - start).TotalSeconds);
    }

    [Fact]
    public async Task Reset_from_the_peer_fails_the_request_with_a_reset_exception()
    {
        await using var bed = CoapTestBed.Create();
        var peer = bed.CreateRawPeer();
        peer.OnReceived = datagram =>
        {
            CoapHeader.TryRead(datagram, out var header);
            peer.Send(bed.ClientEndpoint.LocalEndPoint, new CoapMessage { Type = CoapMessageType.Reset, MessageId = header.MessageId });
        };

        var request = new CoapRequest(CoapMethod.Post, peer.Address) { Payload = new byte[] { 1 } };
        await Assert.ThrowsAsync<CoapResetException>(() => Drive.UntilDone(bed.Clock, bed.Client.SendAsync(request)));
        Assert.Equal(0, bed.ClientEndpoint.PendingExchangeCount);
    }

    [Fact]
    public async Task Duplicate_confirmable_request_gets_the_same_response_and_is_processed_once()
    {
        await using var bed = CoapTestBed.Create();
        int calls = 0;
        bed.Server.AddResource(Echo("r", () => calls++));
        var peer = bed.CreateRawPeer();
        var request = RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Post, 77, "r", payload: [1, 2, 3]);

        peer.Send(bed.ServerAddress, request);
        bed.Clock.Advance(TimeSpan.FromSeconds(100));
        peer.Send(bed.ServerAddress, request);

        Assert.Equal(1, calls);
        var replies = bed.Network.SentRaw().Where(s => s.To.Equals(peer.Address)).Select(s => s.Datagram).ToList();
        Assert.Equal(2, replies.Count);
        Assert.Equal(replies[0], replies[1]);
        Assert.Equal(CoapCode.Content, peer.Received[1].Code);
    }

    [Fact]
    public async Task Same_message_id_with_another_token_is_a_new_request_not_a_duplicate()
    {
        // A client that opens a socket per request (node-coap's Agent does) can get a port another client used a
        // moment ago, and its message IDs can meet that client's: a retransmission always repeats the token, so
        // a different token is a new request, which must be answered, not given the earlier request's ACK.
        await using var bed = CoapTestBed.Create();
        int calls = 0;
        bed.Server.AddResource(Echo("r", () => calls++));
        var peer = bed.CreateRawPeer();

        peer.Send(bed.ServerAddress, RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Post, 90, "r", token: [1, 1], payload: [1]));
        bed.Clock.Advance(TimeSpan.FromSeconds(1));
        peer.Send(bed.ServerAddress, RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Post, 90, "r", token: [2, 2], payload: [2]));
        peer.Send(bed.ServerAddress, RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Post, 90, "r", token: [2, 2], payload: [2]));

        Assert.Equal(2, calls);
        Assert.Equal(3, peer.Received.Count);
        Assert.Equal([2, 2], peer.Received[1].Token.ToArray());
        Assert.Equal([2], peer.Received[1].Payload.ToArray());
        Assert.Equal(peer.Received[1].Token.ToArray(), peer.Received[2].Token.ToArray()); // the retransmission: same answer
    }

    [Fact]
    public async Task Same_message_id_is_processed_again_only_after_exchange_lifetime()
    {
        await using var bed = CoapTestBed.Create();
        int calls = 0;
        bed.Server.AddResource(Echo("r", () => calls++));
        var peer = bed.CreateRawPeer();
        var request = RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Post, 78, "r");

        peer.Send(bed.ServerAddress, request);
        bed.Clock.Advance(bed.ServerOptions.ExchangeLifetime - TimeSpan.FromSeconds(1));
        peer.Send(bed.ServerAddress, request);
        Assert.Equal(1, calls);

        bed.Clock.Advance(TimeSpan.FromSeconds(1.5));
        peer.Send(bed.ServerAddress, request);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task Duplicate_non_confirmable_request_is_dropped_within_non_lifetime()
    {
        await using var bed = CoapTestBed.Create();
        int calls = 0;
        bed.Server.AddResource(Echo("r", () => calls++));
        var peer = bed.CreateRawPeer();
        var request = RawPeer.Request(CoapMessageType.NonConfirmable, CoapMethod.Post, 79, "r");

        peer.Send(bed.ServerAddress, request);
        peer.Send(bed.ServerAddress, request);
        bed.Clock.Advance(bed.ServerOptions.NonLifetime - TimeSpan.FromSeconds(1));
        peer.Send(bed.ServerAddress, request);
        Assert.Equal(1, calls);
        bed.Clock.Advance(TimeSpan.FromSeconds(1.5));
        peer.Send(bed.ServerAddress, request);
        Assert.Equal(2, calls);
        Assert.All(peer.Received, m => Assert.Equal(CoapMessageType.NonConfirmable, m.Type));
    }

    [Fact]
    public async Task Slow_handler_gets_an_empty_ack_then_a_confirmable_separate_response()
    {
        await using var bed = CoapTestBed.Create();
        var release = new TaskCompletionSource<CoapResponse>();
        bed.Server.AddResource(new CoapResource("slow", (_, _) => new ValueTask<CoapResponse>(release.Task)));

        var sending = bed.Client.SendAsync(bed.Request(CoapMethod.Get, "slow"));
        bed.Clock.Advance(bed.ServerOptions.SeparateResponseDelay);
        var afterDelay = bed.Network.Sent();
        Assert.Equal(2, afterDelay.Count);
        Assert.True(afterDelay[1].Message.IsEmpty);
        Assert.Equal(CoapMessageType.Acknowledgement, afterDelay[1].Message.Type);

        // Well past the client's retransmission window: the empty ACK stopped retransmission.
        bed.Clock.Advance(TimeSpan.FromSeconds(100));
        Assert.Equal(2, bed.Network.Sent().Count);

        release.SetResult(new CoapResponse(CoapCode.Content, "done"u8.ToArray()));
        var response = await Drive.UntilDone(bed.Clock, sending);

        Assert.Equal("done"u8.ToArray(), response.Payload.ToArray());
        var all = bed.Network.Sent();
        var separate = all[2].Message;
        Assert.Equal(CoapMessageType.Confirmable, separate.Type);
        Assert.NotEqual(all[0].Message.MessageId, separate.MessageId);
        Assert.Equal(all[0].Message.Token.ToArray(), separate.Token.ToArray());
        Assert.Equal(CoapMessageType.Acknowledgement, all[3].Message.Type);
        Assert.Equal(separate.MessageId, all[3].Message.MessageId);
    }

    [Fact]
    public async Task Separate_response_is_retransmitted_until_acknowledged_and_delivered_once()
    {
        await using var bed = CoapTestBed.Create();
        var release = new TaskCompletionSource<CoapResponse>();
        bed.Server.AddResource(new CoapResource("slow", (_, _) => new ValueTask<CoapResponse>(release.Task)));
        var sending = bed.Client.SendAsync(bed.Request(CoapMethod.Get, "slow"));
        bed.Clock.Advance(TimeSpan.FromSeconds(1));

        int droppedAcks = 0;
        bed.Network.Filter = (from, to, datagram) =>
        {
            bool ackToServer = to.Equals(bed.ServerAddress) && CoapHeader.TryRead(datagram, out var h) == CoapFormatError.None &&
                h.Type == CoapMessageType.Acknowledgement;
            if (ackToServer && droppedAcks < 2)
            {
                droppedAcks++;
                return false;
            }
            return true;
        };
        release.SetResult(new CoapResponse(CoapCode.Content));
        var response = await Drive.UntilDone(bed.Clock, sending);
        bed.Clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(CoapCode.Content, response.Code);
        var separates = bed.Network.Sent().Where(s => s.From.Equals(bed.ServerAddress) && s.Message.Type == CoapMessageType.Confirmable).ToList();
        Assert.Equal(3, separates.Count);
        Assert.Single(separates.Select(s => s.Message.MessageId).Distinct());
        Assert.Equal(0, bed.ServerEndpoint.PendingExchangeCount);
    }

    [Fact]
    public async Task Reset_to_a_separate_response_stops_its_retransmission()
    {
        await using var bed = CoapTestBed.Create();
        var release = new TaskCompletionSource<CoapResponse>();
        bed.Server.AddResource(new CoapResource("slow", (_, _) => new ValueTask<CoapResponse>(release.Task)));
        var peer = bed.CreateRawPeer();
        peer.OnReceived = datagram =>
        {
            CoapMessage.TryDecode(datagram, out var m);
            if (m!.Type == CoapMessageType.Confirmable)
            {
                peer.Send(bed.ServerAddress, new CoapMessage { Type = CoapMessageType.Reset, MessageId = m.MessageId });
            }
        };

        peer.Send(bed.ServerAddress, RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Get, 400, "slow"));
        bed.Clock.Advance(TimeSpan.FromSeconds(1));
        release.SetResult(new CoapResponse(CoapCode.Content));
        await Drive.WithGuard(Task.Run(async () =>
        {
            while (peer.Received.Count < 2)
            {
                await Task.Delay(5);
            }
            return true;
        }));
        bed.Clock.Advance(TimeSpan.FromSeconds(120));

        Assert.Equal(2, peer.Received.Count); // the empty ACK and one separate response, never retransmitted
        Assert.Equal(CoapMessageType.Confirmable, peer.Received[1].Type);
        Assert.Equal(0, bed.ServerEndpoint.PendingExchangeCount);
    }

    [Fact]
    public async Task Duplicate_request_while_the_handler_runs_is_acknowledged_at_once()
    {
        await using var bed = CoapTestBed.Create();
        var release = new TaskCompletionSource<CoapResponse>();
        int calls = 0;
        bed.Server.AddResource(new CoapResource("slow", (_, _) =>
        {
            calls++;
            return new ValueTask<CoapResponse>(release.Task);
        }));
        var peer = bed.CreateRawPeer();
        var request = RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Get, 300, "slow");

        peer.Send(bed.ServerAddress, request);
        Assert.Empty(peer.Received);
        peer.Send(bed.ServerAddress, request);

        var ack = Assert.Single(peer.Received);
        Assert.True(ack.IsEmpty);
        Assert.Equal(CoapMessageType.Acknowledgement, ack.Type);
        Assert.Equal(300, ack.MessageId);
        Assert.Equal(1, calls);
        release.SetResult(new CoapResponse(CoapCode.Content));
        await Drive.WithGuard(Task.Run(async () =>
        {
            while (peer.Received.Count < 2)
            {
                await Task.Delay(5);
            }
            return true;
        }));
        Assert.Equal(CoapMessageType.Confirmable, peer.Received[1].Type);
        release.TrySetResult(new CoapResponse(CoapCode.Content));
    }

    [Fact]
    public async Task Nstart_1_holds_a_second_request_to_the_same_peer_until_the_first_is_acknowledged()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(Echo("r"));
        bool serverReachable = false;
        bed.Network.Filter = (_, to, _) => serverReachable || !to.Equals(bed.ServerAddress);
        var other = bed.CreateRawPeer();

        var first = bed.Client.SendAsync(bed.Request(CoapMethod.Get, "r"));
        var second = bed.Client.SendAsync(bed.Request(CoapMethod.Get, "r"));
        var toOtherPeer = bed.Client.SendAsync(new CoapRequest(CoapMethod.Get, other.Address) { Confirmable = false });
        await Task.Delay(20);

        var toServer = bed.Network.Sent().Where(s => s.To.Equals(bed.ServerAddress)).ToList();
        Assert.Single(toServer.Select(s => s.Message.MessageId).Distinct());
        Assert.Single(other.Received); // a different peer is not held back

        serverReachable = true;
        await Drive.UntilDone(bed.Clock, first);
        await Drive.UntilDone(bed.Clock, second);
        var order = bed.Network.Sent().Select(s => s.Message).ToList();
        int firstAck = order.FindIndex(m => m.Type == CoapMessageType.Acknowledgement);
        var secondMid = order.Last(m => m.Type == CoapMessageType.Confirmable).MessageId;
        int secondSent = order.FindIndex(m => m.Type == CoapMessageType.Confirmable && m.MessageId == secondMid);
        Assert.True(secondSent > firstAck);
        _ = toOtherPeer;
    }

    [Fact]
    public async Task Per_peer_nstart_state_is_forgotten_once_no_request_is_outstanding()
    {
        await using var bed = CoapTestBed.Create();
        var peers = Enumerable.Range(0, 20).Select(_ => bed.CreateRawPeer()).ToList();
        foreach (var peer in peers)
        {
            peer.OnReceived = datagram =>
            {
                CoapMessage.TryDecode(datagram, out var request);
                peer.Send(bed.ClientEndpoint.LocalEndPoint, new CoapMessage
                {
                    Type = CoapMessageType.Acknowledgement, Code = CoapCode.Content, MessageId = request!.MessageId, Token = request.Token,
                });
            };
        }

        var sends = peers.SelectMany(p => Enumerable.Range(0, 3).Select(_ => bed.Client.SendAsync(new CoapRequest(CoapMethod.Get, p.Address)))).ToList();
        await Drive.UntilDone(bed.Clock, Task.WhenAll(sends));

        Assert.All(sends, s => Assert.Equal(CoapCode.Content, s.Result.Code));
        Assert.Equal(0, bed.ClientEndpoint.NStartSlotCount);
        Assert.Equal(0, bed.ClientEndpoint.PendingExchangeCount);
    }

    [Fact]
    public async Task Empty_confirmable_ping_is_answered_with_reset()
    {
        await using var bed = CoapTestBed.Create();
        var peer = bed.CreateRawPeer();
        peer.Send(bed.ServerAddress, new CoapMessage { Type = CoapMessageType.Confirmable, MessageId = 0x4242 });

        var reply = Assert.Single(peer.Received);
        Assert.Equal(CoapMessageType.Reset, reply.Type);
        Assert.Equal(0x4242, reply.MessageId);
    }

    [Theory]
    [InlineData(new byte[] { 0x40, 0x01, 0x12, 0x34, 0xF1, 0x00 })]
    [InlineData(new byte[] { 0x49, 0x01, 0x12, 0x34 })]
    [InlineData(new byte[] { 0x40, 0x01, 0x12, 0x34, 0xFF })]
    [InlineData(new byte[] { 0x40, 0xE1, 0x12, 0x34 })]
    [InlineData(new byte[] { 0x41, 0x00, 0x12, 0x34, 0x01 })]
    public async Task Malformed_confirmable_message_is_rejected_with_reset(byte[] datagram)
    {
        await using var bed = CoapTestBed.Create();
        var peer = bed.CreateRawPeer();
        peer.Send(bed.ServerAddress, datagram);

        var reply = Assert.Single(peer.Received);
        Assert.Equal(CoapMessageType.Reset, reply.Type);
        Assert.Equal(0x1234, reply.MessageId);
    }

    [Theory]
    [InlineData(new byte[] { 0x50, 0x01, 0x12, 0x34, 0xF1, 0x00 })]
    [InlineData(new byte[] { 0x60, 0x45, 0x12, 0x34, 0xFF })]
    [InlineData(new byte[] { 0x70, 0x00, 0x12, 0x34, 0xFF, 0x01 })]
    [InlineData(new byte[] { 0x80, 0x01, 0x12, 0x34 })]
    [InlineData(new byte[] { 0x40, 0x01, 0x12 })]
    [InlineData(new byte[] { 0x50, 0x00, 0x12, 0x34 })]
    public async Task Malformed_non_confirmable_ack_reset_or_wrong_version_messages_are_silently_dropped(byte[] datagram)
    {
        await using var bed = CoapTestBed.Create();
        var peer = bed.CreateRawPeer();
        peer.Send(bed.ServerAddress, datagram);
        Assert.Empty(peer.Received);
    }

    [Fact]
    public async Task Unknown_critical_option_in_a_confirmable_request_gets_4_02_bad_option()
    {
        await using var bed = CoapTestBed.Create();
        int calls = 0;
        bed.Server.AddResource(Echo("r", () => calls++));
        var peer = bed.CreateRawPeer();
        var request = RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Get, 9, "r");
        request.AddOption(new CoapOption(2049, new byte[] { 1 }));

        peer.Send(bed.ServerAddress, request);

        var reply = Assert.Single(peer.Received);
        Assert.Equal(CoapMessageType.Acknowledgement, reply.Type);
        Assert.Equal(CoapCode.BadOption, reply.Code);
        Assert.Contains("2049", System.Text.Encoding.UTF8.GetString(reply.Payload.Span));
        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task Unknown_critical_option_in_a_non_confirmable_request_is_rejected_silently()
    {
        await using var bed = CoapTestBed.Create();
        int calls = 0;
        bed.Server.AddResource(Echo("r", () => calls++));
        var peer = bed.CreateRawPeer();
        var request = RawPeer.Request(CoapMessageType.NonConfirmable, CoapMethod.Get, 9, "r");
        request.AddOption(new CoapOption(2049, new byte[] { 1 }));

        peer.Send(bed.ServerAddress, request);

        Assert.Empty(peer.Received);
        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task Unknown_elective_option_is_ignored_and_the_request_served()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(Echo("r"));
        var peer = bed.CreateRawPeer();
        var request = RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Get, 10, "r");
        request.AddOption(new CoapOption(2048, new byte[] { 1 }));

        peer.Send(bed.ServerAddress, request);

        Assert.Equal(CoapCode.Content, Assert.Single(peer.Received).Code);
    }

    [Fact]
    public async Task Unsupported_method_code_gets_4_05()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(Echo("r"));
        var peer = bed.CreateRawPeer();
        var request = RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Get, 11, "r");
        request.Code = new CoapCode(7);

        peer.Send(bed.ServerAddress, request);

        Assert.Equal(CoapCode.MethodNotAllowed, Assert.Single(peer.Received).Code);
    }

    [Fact]
    public async Task Non_confirmable_request_gets_a_non_confirmable_response_with_the_same_token()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(Echo("r"));
        var peer = bed.CreateRawPeer();
        peer.Send(bed.ServerAddress, RawPeer.Request(CoapMessageType.NonConfirmable, CoapMethod.Get, 12, "r", token: [9, 8, 7]));

        var reply = Assert.Single(peer.Received);
        Assert.Equal(CoapMessageType.NonConfirmable, reply.Type);
        Assert.Equal(new byte[] { 9, 8, 7 }, reply.Token.ToArray());
    }

    [Fact]
    public async Task Client_can_send_a_non_confirmable_request_and_match_the_response_by_token()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(Echo("r"));
        var request = bed.Request(CoapMethod.Post, "r", [5]);
        request.Confirmable = false;

        var response = await bed.SendAsync(request);

        Assert.Equal(new byte[] { 5 }, response.Payload.ToArray());
        Assert.All(bed.Network.Sent(), s => Assert.Equal(CoapMessageType.NonConfirmable, s.Message.Type));
    }

    [Fact]
    public async Task Confirmable_response_with_an_unknown_token_is_rejected_with_reset()
    {
        await using var bed = CoapTestBed.Create();
        var peer = bed.CreateRawPeer();
        peer.Send(bed.ClientEndpoint.LocalEndPoint, new CoapMessage
        {
            Type = CoapMessageType.Confirmable,
            Code = CoapCode.Content,
            MessageId = 500,
            Token = new byte[] { 1, 2, 3, 4 },
        });

        var reply = Assert.Single(peer.Received);
        Assert.Equal(CoapMessageType.Reset, reply.Type);
        Assert.Equal(500, reply.MessageId);
    }

    [Fact]
    public async Task Piggybacked_response_with_an_unknown_critical_option_fails_the_request()
    {
        await using var bed = CoapTestBed.Create();
        var peer = bed.CreateRawPeer();
        peer.OnReceived = datagram =>
        {
            CoapMessage.TryDecode(datagram, out var request);
            var ack = new CoapMessage { Type = CoapMessageType.Acknowledgement, Code = CoapCode.Content, MessageId = request!.MessageId, Token = request.Token };
            ack.AddOption(new CoapOption(2049, new byte[] { 1 }));
            peer.Send(bed.ClientEndpoint.LocalEndPoint, ack);
        };

        await Assert.ThrowsAsync<CoapProtocolException>(() =>
            Drive.UntilDone(bed.Clock, bed.Client.SendAsync(new CoapRequest(CoapMethod.Get, peer.Address))));
    }

    [Fact]
    public async Task Missing_separate_response_after_an_empty_ack_times_out()
    {
        await using var bed = CoapTestBed.Create(configureClient: o => o.SeparateResponseTimeout = TimeSpan.FromSeconds(30));
        var peer = bed.CreateRawPeer();
        peer.OnReceived = datagram =>
        {
            CoapHeader.TryRead(datagram, out var h);
            peer.Send(bed.ClientEndpoint.LocalEndPoint, new CoapMessage { Type = CoapMessageType.Acknowledgement, MessageId = h.MessageId });
        };
        var start = bed.Clock.GetUtcNow();

        await Assert.ThrowsAsync<CoapTimeoutException>(() =>
            Drive.UntilDone(bed.Clock, bed.Client.SendAsync(new CoapRequest(CoapMethod.Get, peer.Address))));

        Assert.Equal(TimeSpan.FromSeconds(30), bed.Clock.GetUtcNow() - start);
        Assert.Single(peer.Received);
    }

    [Fact]
    public async Task Cancelled_request_stops_retransmitting_and_forgets_the_exchange()
    {
        await using var bed = CoapTestBed.Create();
        bed.Network.Filter = (_, _, _) => false;
        using var cts = new CancellationTokenSource();

        var sending = bed.Client.SendAsync(bed.Request(CoapMethod.Get, "r"), cts.Token);
        bed.Clock.Advance(TimeSpan.FromSeconds(3));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
        int sentSoFar = bed.Network.SentRaw().Count;
        bed.Clock.Advance(TimeSpan.FromSeconds(100));
        Assert.Equal(sentSoFar, bed.Network.SentRaw().Count);
        Assert.Equal(0, bed.ClientEndpoint.PendingExchangeCount);
    }

    [Fact]
    public async Task Request_with_an_already_cancelled_token_is_never_sent()
    {
        await using var bed = CoapTestBed.Create();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bed.Client.SendAsync(bed.Request(CoapMethod.Get, "r"), cts.Token));

        Assert.Empty(bed.Network.SentRaw());
        Assert.Equal(0, bed.ClientEndpoint.PendingExchangeCount);
    }

    [Fact]
    public async Task Throwing_handler_yields_5_00_and_the_endpoint_keeps_serving()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(new CoapResource("sync-throw", (_, _) => throw new InvalidOperationException("boom")));
        bed.Server.AddResource(new CoapResource("async-throw", async (_, _) =>
        {
            await Task.Yield();
            throw new InvalidOperationException("boom");
        }));
        bed.Server.AddResource(Echo("ok"));

        Assert.Equal(CoapCode.InternalServerError, (await bed.SendAsync(bed.Request(CoapMethod.Get, "sync-throw"))).Code);
        Assert.Equal(CoapCode.InternalServerError, (await bed.SendAsync(bed.Request(CoapMethod.Get, "async-throw"))).Code);
        Assert.Equal(CoapCode.Content, (await bed.SendAsync(bed.Request(CoapMethod.Get, "ok"))).Code);
    }

    [Fact]
    public async Task Response_that_cannot_be_encoded_becomes_5_00_instead_of_silence()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(new CoapResource("bad", (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Content)
        {
            Options = [new CoapOption(CoapOptionNumber.LocationPath, new byte[70_000])],
        })));

        Assert.Equal(CoapCode.InternalServerError, (await bed.SendAsync(bed.Request(CoapMethod.Get, "bad"))).Code);
    }

    [Fact]
    public async Task Request_that_cannot_be_encoded_fails_and_frees_the_nstart_slot()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(Echo("r"));
        var bad = bed.Request(CoapMethod.Get, "r");
        bad.Options.Add(new CoapOption(CoapOptionNumber.LocationPath, new byte[70_000]));

        await Assert.ThrowsAsync<ArgumentException>(() => bed.SendAsync(bad));

        Assert.Equal(0, bed.ClientEndpoint.PendingExchangeCount);
        Assert.Equal(CoapCode.Content, (await bed.SendAsync(bed.Request(CoapMethod.Get, "r"))).Code);
    }

    [Fact]
    public async Task Message_ids_of_consecutive_requests_differ_and_tokens_are_eight_random_bytes()
    {
        await using var bed = CoapTestBed.Create();
        bed.Server.AddResource(Echo("r"));
        for (int i = 0; i < 5; i++)
        {
            await bed.SendAsync(bed.Request(CoapMethod.Get, "r"));
        }
        var requests = bed.Network.Sent().Where(s => s.Message.IsRequest).Select(s => s.Message).ToList();
        Assert.Equal(5, requests.Select(m => m.MessageId).Distinct().Count());
        Assert.Equal(5, requests.Select(m => Convert.ToHexString(m.Token.Span)).Distinct().Count());
        Assert.All(requests, m => Assert.Equal(8, m.Token.Length));
    }

    [Fact]
    public void Exchange_lifetime_and_non_lifetime_follow_the_rfc_formulas()
    {
        var options = new CoapEndpointOptions();
        Assert.Equal(TimeSpan.FromSeconds(45), options.MaxTransmitSpan);
        Assert.Equal(TimeSpan.FromSeconds(247), options.ExchangeLifetime);
        Assert.Equal(TimeSpan.FromSeconds(145), options.NonLifetime);
    }
}

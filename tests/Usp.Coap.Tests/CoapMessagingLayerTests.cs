using System.Net;
using Usp.Agent.Coap;
using Usp.Coap.Tests.Support;
using Usp.Tests.Support;

namespace Usp.Coap.Tests;

/// <summary>Each part of the messaging layer on its own, over the in-memory network with a manual clock.</summary>
public sealed class CoapMessagingLayerTests
{
    private readonly ManualTimeProvider _clock = new();
    private readonly InMemoryNetwork _network = new();
    private readonly CoapEndpointOptions _options = new() { AckRandomFactor = 1.0 };

    [Fact]
    public void ConfirmableSender_retransmits_at_doubling_intervals_then_tells_its_owner_it_gave_up()
    {
        RawPeer peer = new(_network.CreateTransport());
        var outbox = new CoapOutbox(_network.CreateTransport(), log: null);
        var sender = new ConfirmableSender(outbox, _options, _clock);
        var owner = new RecordingOwner();

        sender.Send(Confirmable(0x1234), new CoapPeer(peer.Address), owner);
        var sentAt = new List<double> { 0 };
        for (int i = 0; i < _options.MaxRetransmit + 1; i++)
        {
            DateTimeOffset before = _clock.GetUtcNow();
            Assert.True(_clock.AdvanceToNextTimer());
            if (peer.Received.Count > sentAt.Count)
            {
                sentAt.Add(sentAt[^1] + (_clock.GetUtcNow() - before).TotalSeconds);
            }
        }

        Assert.Equal([0, 2, 6, 14, 30], sentAt);
        Assert.All(peer.Received, m => Assert.Equal((ushort)0x1234, m.MessageId));
        Assert.IsType<CoapTimeoutException>(owner.Failure);
        Assert.Equal(0, sender.Count);
    }

    [Fact]
    public void ConfirmableSender_stops_once_the_ACK_takes_the_message()
    {
        RawPeer peer = new(_network.CreateTransport());
        var sender = new ConfirmableSender(new CoapOutbox(_network.CreateTransport(), log: null), _options, _clock);
        var owner = new RecordingOwner();

        sender.Send(Confirmable(7), new CoapPeer(peer.Address), owner);
        Assert.NotNull(sender.Take(peer.Address, 7));
        Assert.Null(sender.Take(peer.Address, 7));
        _clock.Advance(TimeSpan.FromMinutes(5));

        Assert.Single(peer.Received);
        Assert.Null(owner.Failure);
    }

    [Fact]
    public void ServerExchanges_answers_a_duplicate_CON_with_an_empty_ACK_while_handling_and_the_same_response_after()
    {
        RawPeer client = new(_network.CreateTransport());
        var outbox = new CoapOutbox(_network.CreateTransport(), log: null);
        var server = new ServerExchanges(outbox, new ConfirmableSender(outbox, _options, _clock), _options, _clock);
        var handling = new TaskCompletionSource<CoapMessage>();
        int calls = 0;
        server.SetHandler((_, _, _) =>
        {
            calls++;
            return new ValueTask<CoapMessage>(handling.Task);
        });
        var request = RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Get, 42, "r");
        var from = new CoapPeer(client.Address);

        server.OnRequest(request, from, server.Deduplicate(request, from)!);
        Assert.Null(server.Deduplicate(request, from));
        CoapMessage emptyAck = Assert.Single(client.Received);
        Assert.Equal((CoapMessageType.Acknowledgement, true), (emptyAck.Type, emptyAck.IsEmpty));

        handling.SetResult(new CoapMessage { Code = CoapCode.Content, Payload = "late"u8.ToArray() });
        SpinWait.SpinUntil(() => client.Received.Count == 2, TimeSpan.FromSeconds(30));
        CoapMessage separate = client.Received[1];
        Assert.Equal((CoapMessageType.Confirmable, CoapCode.Content), (separate.Type, separate.Code));
        Assert.Null(server.Deduplicate(request, from));
        Assert.Equal(CoapMessageType.Acknowledgement, client.Received[2].Type);
        Assert.True(client.Received[2].IsEmpty);
        Assert.Equal(1, calls);
        Assert.Equal(1, server.DeduplicationEntryCount);
    }

    [Fact]
    public async Task ClientExchanges_holds_a_second_request_to_the_same_peer_until_the_first_is_answered_NSTART_1()
    {
        RawPeer server = new(_network.CreateTransport());
        var outbox = new CoapOutbox(_network.CreateTransport(), log: null);
        var confirmables = new ConfirmableSender(outbox, _options, _clock);
        var client = new ClientExchanges(outbox, confirmables, _options, _clock);
        var to = new CoapPeer(server.Address);

        Task<CoapMessage> first = client.SendAsync(RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Get, 0, "a", token: []), to, false, default);
        Task<CoapMessage> second = client.SendAsync(RawPeer.Request(CoapMessageType.Confirmable, CoapMethod.Get, 0, "b", token: []), to, false, default);
        CoapMessage sent = Assert.Single(server.Received);
        Assert.Equal(8, sent.Token.Length);

        var ack = new CoapMessage { Type = CoapMessageType.Acknowledgement, Code = CoapCode.Content, MessageId = sent.MessageId, Token = sent.Token };
        client.OnAcknowledged(confirmables.Take(server.Address, sent.MessageId)!.Owner!, ack);

        Assert.Equal(CoapCode.Content, (await Drive.WithGuard(first)).Code);
        SpinWait.SpinUntil(() => server.Received.Count == 2, TimeSpan.FromSeconds(30));
        Assert.Equal("b", server.Received[1].UriPath);
        Assert.NotEqual(sent.Token.ToArray(), server.Received[1].Token.ToArray());
        Assert.False(second.IsCompleted);
        client.FailAll(new ObjectDisposedException("test"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => second);
    }

    private static CoapMessage Confirmable(ushort messageId) =>
        new() { Type = CoapMessageType.Confirmable, Code = CoapCode.FromMethod(CoapMethod.Get), MessageId = messageId, Token = new byte[] { 1 } };

    private sealed class RecordingOwner : IConfirmableOwner
    {
        public Exception? Failure { get; private set; }

        public bool Attach(ConfirmableSender.Outgoing pending) => true;

        public void GaveUp(CoapTimeoutException failure) => Failure = failure;
    }
}

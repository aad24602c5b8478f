using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Usp.Agent.Dtls;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.Dtls;

/// <summary>What a hostile or unlucky network does to the DTLS server: cookie floods, many peers, idleness, loss.</summary>
public class DtlsRobustnessTests
{
    /// <summary>A DTLS 1.2 ClientHello record without a cookie, as a flood of spoofed sources would send.</summary>
    internal static byte[] ClientHello(ushort recordSequence)
    {
        var body = new List<byte> { 0xFE, 0xFD };
        body.AddRange(RandomNumberGenerator.GetBytes(32));
        body.Add(0); // session id
        body.Add(0); // cookie
        body.AddRange(new byte[] { 0x00, 0x02, 0xC0, 0xAE }); // TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8
        body.AddRange(new byte[] { 0x01, 0x00 }); // null compression
        var handshake = new List<byte> { 1 };
        handshake.AddRange(Uint24(body.Count));
        handshake.AddRange(new byte[] { 0, 0 }); // message_seq
        handshake.AddRange(Uint24(0));
        handshake.AddRange(Uint24(body.Count));
        handshake.AddRange(body);
        var record = new List<byte> { 22, 0xFE, 0xFF, 0, 0, 0, 0, 0, 0 };
        record.AddRange(new[] { (byte)(recordSequence >> 8), (byte)recordSequence });
        record.AddRange(new[] { (byte)(handshake.Count >> 8), (byte)handshake.Count });
        record.AddRange(handshake);
        return [.. record];
    }

    private static byte[] Uint24(int value) => [(byte)(value >> 16), (byte)(value >> 8), (byte)value];

    [Fact]
    public async Task CookieFlood_OfSpoofedClientHellos_AllocatesNoSessionState()
    {
        using var pki = new DtlsTestPki();
        await using var server = DtlsTestPki.Bind(pki.AgentSecurity());
        server.Start((_, _) => { });
        var target = server.LocalEndPoint;
        const int Sources = 100, PerSource = 50;
        var sockets = Enumerable.Range(0, Sources).Select(_ =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return s;
        }).ToList();
        try
        {
            for (int round = 0; round < PerSource; round++)
            {
                foreach (Socket socket in sockets)
                {
                    socket.SendTo(ClientHello((ushort)round), target);
                }

                await Task.Delay(10); // 10,000 ClientHellos a second: within what the loopback socket buffers hold
            }

            // The flood was answered with HelloVerifyRequests (loopback drops part of a burst) and nothing else.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (server.HelloVerifyRequestsSent < Sources * PerSource / 2 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            Assert.True(server.HelloVerifyRequestsSent >= Sources * PerSource / 2, $"{server.HelloVerifyRequestsSent} HelloVerifyRequests");
            Assert.Equal(0, server.PeerCount);
            Assert.Equal(0, server.HandshakesInProgress);
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task SixtyFourConcurrentSessions_AreServed_AndTheSixtyFifthPeerIsRefused()
    {
        using var pki = new DtlsTestPki();
        var log = new ListLogger();
        await using var server = DtlsTestPki.Bind(pki.AgentSecurity(), new DtlsSessionSettings { MaxSessions = 64, MaxHandshakesPerAddress = 16 }, log);
        var received = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        server.Start((datagram, peer) => received.AddOrUpdate(peer.EndPoint.Port, 1, (_, n) => n + 1));
        DtlsSecurity controller = pki.ControllerSecurity();
        var clients = Enumerable.Range(0, 65).Select(_ =>
        {
            DtlsCoapTransport c = DtlsTestPki.Bind(controller, new DtlsSessionSettings { HandshakeTimeout = TimeSpan.FromSeconds(45) });
            c.Start((_, _) => { });
            return c;
        }).ToList();
        try
        {
            await Task.WhenAll(clients.Take(64).Select(c => c.ConnectAsync(server.LocalEndPoint, CancellationToken.None))).WaitAsync(TimeSpan.FromSeconds(90));
            Assert.Equal(64, server.SessionCount);
            await Task.WhenAll(clients.Take(64).Select(c => c.SendAsync("ping"u8.ToArray(), server.LocalEndPoint, CancellationToken.None).AsTask()));

            await Assert.ThrowsAnyAsync<Exception>(() => clients[64].ConnectAsync(server.LocalEndPoint, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(3)));
            Assert.Equal(64, server.SessionCount);
            Assert.Contains("64 sessions are established", log.Text, StringComparison.Ordinal);

            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (received.Count < 64 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            Assert.Equal(64, received.Count);
        }
        finally
        {
            foreach (DtlsCoapTransport c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task IdleSession_IsClosedWithCloseNotify_AfterTheIdleTimeout()
    {
        using var pki = new DtlsTestPki();
        var log = new ListLogger();
        await using var server = DtlsTestPki.Bind(pki.AgentSecurity(), new DtlsSessionSettings { IdleTimeout = TimeSpan.FromSeconds(1) }, log);
        server.Start((_, _) => { });
        await using var client = DtlsTestPki.Bind(pki.ControllerSecurity());
        var clientLog = new ListLogger();
        client.Start((_, _) => { });
        await client.ConnectAsync(server.LocalEndPoint, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(1, server.SessionCount);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((server.SessionCount > 0 || client.SessionCount > 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(0, server.SessionCount);
        Assert.Equal(0, client.SessionCount); // the client got the close_notify
        Assert.Contains("idle for", log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandshakeWithLostDatagrams_CompletesByRetransmission()
    {
        using var pki = new DtlsTestPki();
        await using var server = DtlsTestPki.Bind(pki.AgentSecurity());
        string? got = null;
        server.Start((datagram, _) => got = System.Text.Encoding.ASCII.GetString(datagram.Span));
        // Datagrams 2, 4 and 5 of both directions lost: the HelloVerifyRequest's answer and parts of the later flights.
        await using var relay = new UdpRelay(server.LocalEndPoint, (_, n, _) => n is 2 or 4 or 5 ? UdpRelay.Drop : UdpRelay.Pass);
        await using var client = DtlsTestPki.Bind(pki.ControllerSecurity());
        client.Start((_, _) => { });

        await client.ConnectAsync(relay.LocalEndPoint, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        await client.SendAsync("after loss"u8.ToArray(), relay.LocalEndPoint, CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (got is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal("after loss", got);
        Assert.True(relay.Dropped >= 3, $"{relay.Dropped} datagrams dropped");
    }
}

/// <summary>
/// 10,000 DTLS sessions opened and closed: no state left and a flat managed heap. Alone in its collection, so that
/// no other test allocates in this process while the heap is measured.
/// </summary>
[Collection(DtlsMemoryCollection.Name)]
[Trait(DtlsMemoryCollection.Trait, DtlsMemoryCollection.OwnProcess)]
public class DtlsSessionChurnTests
{
    [Fact]
    public async Task TenThousandSessionsOpenedAndClosed_LeaveNoStateAndFlatMemory()
    {
        using var pki = new DtlsTestPki();
        var psk = new DtlsPsk("bulk", RandomNumberGenerator.GetBytes(16));
        // Room for the four clients' handshakes at once even on a loaded machine (the per-address cap is tested elsewhere).
        await using var server = DtlsTestPki.Bind(pki.AgentSecurity(psk: psk), new DtlsSessionSettings { MaxHandshakesPerAddress = 8 });
        server.Start((_, _) => { });
        var clientSecurity = new DtlsSecurity(null, new PeerCertificateValidator(new TrustAnchors([]), new AbsoluteTime(TimeProvider.System, DateTimeOffset.UnixEpoch)), psk);

        DtlsCoapTransport client = DtlsTestPki.Bind(clientSecurity, new DtlsSessionSettings { HandshakeTimeout = TimeSpan.FromSeconds(60) });
        client.ClientTargetFor = _ => new DtlsClientTarget("127.0.0.1", null) { Psk = psk };
        client.Start((_, _) => { });
        int retried = 0;

        async Task Run(int sessions)
        {
            for (int i = 0; i < sessions; i++)
            {
                try
                {
                    await client.ConnectAsync(server.LocalEndPoint, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(90));
                }
                catch (IOException)
                {
                    // A handshake lost to an overloaded machine: UDP gives no guarantee; count it and go on.
                    retried++;
                    await Task.Delay(1100); // past the client's reconnect back-off
                    await client.ConnectAsync(server.LocalEndPoint, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(90));
                }

                client.CloseSession(server.LocalEndPoint, "test");
            }
        }

        await Run(1000);
        long afterWarmUp = ManagedHeap.Settled();
        await Run(9000);
        await client.DisposeAsync();
        Assert.True(retried <= 100, $"{retried} of 10,000 handshakes needed a second attempt");

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (server.PeerCount > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(0, server.PeerCount);
        Assert.Equal(0, server.HandshakesInProgress);

        // What the transport really holds is the lowest settled reading over a few seconds (the last handshake threads
        // may still be ending). The bound: alone on an idle machine the heap does not grow at all, but on a loaded one
        // 2-7 MB more stays held, the same in every reading (2.3 MB with three busy loops beside it; 4.9 and 6.8 MB in
        // fresh-clone CI runs), so it is bounded, not per session. 16 MB over 9,000 sessions is 1.8 KiB a session, less
        // than one session's record layer, cipher state, inbox and buffers: keeping each closed session would pass it.
        const long Bound = 16 * 1024 * 1024;
        var readings = new List<long>();
        for (int i = 0; i < 10 && (readings.Count == 0 || readings.Min() - afterWarmUp >= Bound); i++)
        {
            if (i > 0)
            {
                await Task.Delay(500);
            }

            readings.Add(ManagedHeap.Settled());
        }

        long growth = readings.Min() - afterWarmUp;
        Assert.True(growth < Bound,
            $"managed heap grew {growth / 1024} KiB from 1,000 to 10,000 sessions (settled readings: {string.Join(", ", readings.Select(r => $"{(r - afterWarmUp) / 1024} KiB"))})");
    }
}

/// <summary>
/// The tests that measure the process's managed heap. They run alone (no parallel collection) and, under tests/run.sh,
/// in a test process of their own (filter <c>Isolation=OwnProcess</c>): a full run's earlier tests can leave work
/// behind that allocates (seen: 4.9 MB counted against the 10,000-session churn, which alone shrinks the heap).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DtlsMemoryCollection
{
    public const string Name = "DTLS memory (not parallel)";

    public const string Trait = "Isolation";

    public const string OwnProcess = "OwnProcess";
}

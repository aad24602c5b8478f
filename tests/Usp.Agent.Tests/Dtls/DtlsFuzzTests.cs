using System.Net;
using System.Net.Sockets;
using System.Text;
using Usp.Agent.Dtls;
using Usp.Tests.Support;
using Xunit.Abstractions;

namespace Usp.Agent.Tests.Dtls;

/// <summary>
/// Seeded fuzzing of the coaps transport with DTLS records, half during handshakes and half inside an established
/// session. Seeds: tests/corpus/dtls-records.hex (hand-encoded edge cases) and the datagrams of a real handshake and
/// session recorded at run time. 10,000 datagrams; <c>USP_LONG_TESTS=1</c>: 100,000. Pass: no exception escapes to
/// the receive loop, the established session carries data throughout, every handshake ends, the managed heap stays
/// bounded, and a new Controller handshakes and is served afterwards. Alone in its collection for the heap figure.
/// </summary>
[Collection(DtlsMemoryCollection.Name)]
[Trait(DtlsMemoryCollection.Trait, DtlsMemoryCollection.OwnProcess)]
public class DtlsFuzzTests(ITestOutputHelper output)
{
    private const int RecordHeaderLength = 13;

    [Fact]
    public async Task FuzzedRecords_DuringAndAfterTheHandshake_CrashNothing_LeakNothing_AndASessionIsServedAfter()
    {
        const int seed = 1813;
        var random = new Random(seed);
        int iterations = FuzzCorpus.Iterations(10_000, 100_000);
        using var pki = new DtlsTestPki();
        var log = new ListLogger();
        var settings = new DtlsSessionSettings { HandshakeTimeout = TimeSpan.FromSeconds(2), MaxHandshakes = 32, MaxHandshakesPerAddress = 4 };
        await using var server = DtlsTestPki.Bind(pki.AgentSecurity(), settings, log);
        var received = new System.Collections.Concurrent.ConcurrentQueue<string>();
        server.Start((datagram, _) => received.Enqueue(Encoding.ASCII.GetString(datagram.Span)));

        // A real Controller's handshake and first records, recorded on the way: the live seeds.
        var recorded = new System.Collections.Concurrent.ConcurrentQueue<byte[]>();
        await using var tap = new UdpRelay(server.LocalEndPoint, (direction, _, datagram) =>
        {
            if (direction == RelayDirection.ToTarget)
            {
                recorded.Enqueue(datagram.ToArray());
            }

            return UdpRelay.Pass;
        });
        await using var controller = DtlsTestPki.Bind(pki.ControllerSecurity());
        controller.Start((_, _) => { });
        await controller.ConnectAsync(tap.LocalEndPoint, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        int handshakeDatagrams = recorded.Count;
        for (int i = 0; i < 4; i++)
        {
            await controller.SendAsync(Encoding.ASCII.GetBytes($"seed-{i}"), tap.LocalEndPoint, CancellationToken.None);
        }

        await WaitForAsync(() => recorded.Count >= handshakeDatagrams + 4, "the seed records", log);
        byte[][] live = [.. recorded];
        byte[] clientHello = live[0];
        Assert.True(IsInitialClientHello(clientHello), "the first recorded datagram is not a ClientHello");
        byte[][] seeds = [.. FuzzCorpus.Load("dtls-records.hex"), .. live];

        long heapAtStart = ManagedHeap.Settled();
        var fuzzers = new List<Socket>();
        int during = iterations / 2;
        int handshakesOpened = 0, sessionChecks = 0, clientHellosSkipped = 0;
        try
        {
            // During the handshake: each fuzzer socket (a new port on one of 16 loopback addresses) passes the cookie
            // exchange with the recorded ClientHello, so the server runs a handshake for it, then sends it mutated
            // and unmutated seeds: later flights, records of other epochs, junk.
            Socket? fuzzer = null;
            for (int i = 0; i < during; i++)
            {
                if (i % 25 == 0)
                {
                    fuzzer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    fuzzer.Bind(new IPEndPoint(new IPAddress([127, 0, 1, (byte)(1 + (i / 25 % 16))]), 0));
                    fuzzers.Add(fuzzer);
                    if (await OpenHandshakeAsync(fuzzer, clientHello, server.LocalEndPoint))
                    {
                        handshakesOpened++;
                    }
                }

                fuzzer!.SendTo(Pick(seeds, random), server.LocalEndPoint);
                await Pace(i);
            }

            // After the handshake: the same records injected into the established session from its own address (the
            // relay's), which must go on carrying the Controller's data. An unmutated initial ClientHello is the one
            // record that may end it (RFC 6347 4.2.8: a client that restarts on the same port), so none is sent.
            for (int i = 0; i < iterations - during; i++)
            {
                byte[] datagram = Pick(seeds, random);
                if (IsInitialClientHello(datagram))
                {
                    clientHellosSkipped++;
                    continue;
                }

                tap.Inject(datagram);
                await Pace(i);
                if (i % 500 == 499)
                {
                    await PingAsync(controller, tap.LocalEndPoint, $"ping-{i}", received, log);
                    sessionChecks++;
                }
            }

            // Every handshake ends (completed, failed or timed out), and only the Controller's session is left.
            await WaitForAsync(() => server.HandshakesInProgress == 0 && server.PeerCount == 1, "the handshakes to end", log, TimeSpan.FromSeconds(30));
            Assert.Equal(1, server.SessionCount);

            // A new Controller is served afterwards.
            await using var late = DtlsTestPki.Bind(pki.ControllerSecurity());
            late.Start((_, _) => { });
            await late.ConnectAsync(server.LocalEndPoint, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            await PingAsync(late, server.LocalEndPoint, "after the fuzz", received, log);
        }
        finally
        {
            fuzzers.ForEach(s => s.Dispose());
        }

        long heapGrowth = ManagedHeap.Settled() - heapAtStart;
        string[] escaped = log.Lines.Where(l => l.Contains("receive error", StringComparison.Ordinal)).ToArray();
        output.WriteLine($"{iterations} fuzzed datagrams (seed {seed}, {seeds.Length} seeds, {live.Length} recorded live): {handshakesOpened} handshakes opened by cookie exchange, " +
            $"{server.HelloVerifyRequestsSent} HelloVerifyRequests, {sessionChecks} checks of the established session, {clientHellosSkipped} ClientHellos not injected into it, " +
            $"managed heap {heapGrowth / 1024} KiB above the start");
        Assert.True(escaped.Length == 0, $"exceptions reached the receive loop:{Environment.NewLine}{string.Join(Environment.NewLine, escaped.Take(10))}");
        Assert.True(handshakesOpened >= during / 25 / 2, $"only {handshakesOpened} handshakes were opened: the fuzz barely reached the handshake");
        Assert.True(heapGrowth < 32 * 1024 * 1024, $"managed heap grew {heapGrowth / 1024} KiB");
    }

    /// <summary>
    /// Sends <paramref name="text"/> over the session until the server delivers it: once a second, for a loaded
    /// machine's receive buffer may drop a datagram among the fuzz (as UDP may; CoAP above retransmits the same way).
    /// </summary>
    internal static async Task PingAsync(DtlsCoapTransport client, IPEndPoint to, string text, System.Collections.Concurrent.ConcurrentQueue<string> received, ListLogger log)
    {
        for (int attempt = 1; ; attempt++)
        {
            await client.SendAsync(Encoding.ASCII.GetBytes(text), to, CancellationToken.None);
            try
            {
                await WaitForAsync(() => received.Contains(text), $"{text} through the session ({attempt} sends)", log, TimeSpan.FromSeconds(1));
                return;
            }
            catch (TimeoutException) when (attempt < 15)
            {
            }
        }
    }

    /// <summary>A seed as it is (one in eight) or mutated.</summary>
    private static byte[] Pick(byte[][] seeds, Random random)
    {
        byte[] seed = seeds[random.Next(seeds.Length)];
        return random.Next(8) == 0 ? seed : FuzzCorpus.Mutate(seed, random);
    }

    /// <summary>About 2,000 datagrams a second: within what the loopback socket buffers hold.</summary>
    private static Task Pace(int i) => i % 20 == 19 ? Task.Delay(10) : Task.CompletedTask;

    /// <summary>
    /// Sends <paramref name="clientHello"/>, reads the HelloVerifyRequest's cookie and sends the ClientHello again with
    /// it (message_seq 1): the server then starts a handshake for this socket. False when no cookie came.
    /// </summary>
    private static async Task<bool> OpenHandshakeAsync(Socket socket, byte[] clientHello, IPEndPoint server)
    {
        socket.SendTo(clientHello, server);
        var buffer = new byte[2048];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            while (true)
            {
                SocketReceiveFromResult r = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
                int at = RecordHeaderLength + 12;
                if (r.ReceivedBytes > at + 3 && buffer[0] == 22 && buffer[RecordHeaderLength] == 3)
                {
                    byte[] cookie = buffer.AsSpan(at + 3, buffer[at + 2]).ToArray();
                    socket.SendTo(WithCookie(clientHello, cookie), server);
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The recorded ClientHello (one record, one unfragmented message) with <paramref name="cookie"/>, as message_seq 1.</summary>
    internal static byte[] WithCookie(byte[] clientHello, byte[] cookie)
    {
        ReadOnlySpan<byte> body = clientHello.AsSpan(RecordHeaderLength + 12);
        int sessionIdEnd = 2 + 32 + 1 + body[34];
        int oldCookieEnd = sessionIdEnd + 1 + body[sessionIdEnd];
        byte[] newBody = [.. body[..sessionIdEnd], (byte)cookie.Length, .. cookie, .. body[oldCookieEnd..]];
        byte[] length = [(byte)(newBody.Length >> 16), (byte)(newBody.Length >> 8), (byte)newBody.Length];
        byte[] handshake = [1, .. length, 0, 1, 0, 0, 0, .. length, .. newBody];
        byte[] header = [22, clientHello[1], clientHello[2], 0, 0, 0, 0, 0, 0, 0, 1, (byte)(handshake.Length >> 8), (byte)handshake.Length];
        return [.. header, .. handshake];
    }

    private static bool IsInitialClientHello(byte[] d) =>
        d.Length > RecordHeaderLength && d[0] == 22 && d[3] == 0 && d[4] == 0 && d[RecordHeaderLength] == 1;

    private static async Task WaitForAsync(Func<bool> condition, string what, ListLogger? log = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                // What ended a session says most; then the latest lines.
                string tail = log is null ? string.Empty : string.Join(Environment.NewLine,
                    log.Lines.Where(l => l.Contains("closed", StringComparison.Ordinal) || l.Contains("127.0.0.1", StringComparison.Ordinal)).Take(20).Concat(log.Lines.TakeLast(10)));
                throw new TimeoutException($"waited in vain for {what}{Environment.NewLine}{tail}");
            }

            await Task.Delay(20);
        }
    }
}

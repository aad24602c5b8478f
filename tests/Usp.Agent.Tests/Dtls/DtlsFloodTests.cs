using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Usp.Tests.Support;
using Xunit.Abstractions;

namespace Usp.Agent.Tests.Dtls;

/// <summary>
/// A ClientHello flood at 10,000 a second from 1,000 source addresses (each a loopback address of its own, as
/// spoofed sources look to the server: never heard of before, never completing the cookie exchange) while a
/// Controller's session is established: the session goes on carrying data, no per-source state is kept, and the
/// managed heap stays flat. CI: 2 s of flood; <c>USP_LONG_TESTS=1</c>: 10 s.
/// </summary>
[Collection(DtlsMemoryCollection.Name)]
[Trait(DtlsMemoryCollection.Trait, DtlsMemoryCollection.OwnProcess)]
public class DtlsFloodTests(ITestOutputHelper output)
{
    private const int Sources = 1000;
    private const int PerSecond = 10_000;

    [Fact]
    public async Task ClientHello_flood_from_a_thousand_sources_leaves_the_established_session_working_and_memory_flat()
    {
        int seconds = FuzzCorpus.Iterations(2, 10);
        using var pki = new DtlsTestPki();
        var log = new ListLogger();
        await using var server = DtlsTestPki.Bind(pki.AgentSecurity(), logger: log);
        var received = new System.Collections.Concurrent.ConcurrentQueue<string>();
        server.Start((datagram, _) => received.Enqueue(Encoding.ASCII.GetString(datagram.Span)));
        await using var controller = DtlsTestPki.Bind(pki.ControllerSecurity());
        controller.Start((_, _) => { });
        await controller.ConnectAsync(server.LocalEndPoint, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        await DtlsFuzzTests.PingAsync(controller, server.LocalEndPoint, "before", received, log);

        var sources = Enumerable.Range(0, Sources).Select(i =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(new IPAddress([127, 3, (byte)(i / 250), (byte)(1 + (i % 250))]), 0));
            return s;
        }).ToList();
        // Made up front: building them would cost the sender more than the server spends on each.
        byte[][] hellos = Enumerable.Range(0, Sources).Select(i => DtlsRobustnessTests.ClientHello((ushort)i)).ToArray();
        long heapBefore = ManagedHeap.Settled();
        int sent = 0, pings = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            long nextPing = 250;
            while (clock.ElapsedMilliseconds < seconds * 1000)
            {
                // Catch up to the rate: what 10,000 a second owes by now.
                long owed = clock.ElapsedMilliseconds * PerSecond / 1000;
                for (; sent < owed; sent++)
                {
                    sources[sent % Sources].SendTo(hellos[sent % Sources], server.LocalEndPoint);
                }

                if (clock.ElapsedMilliseconds >= nextPing)
                {
                    // A round trip through the session (the flood owed meanwhile goes out right after).
                    await DtlsFuzzTests.PingAsync(controller, server.LocalEndPoint, $"during-{pings++}", received, log);
                    nextPing = clock.ElapsedMilliseconds + 250;
                }

                await Task.Delay(5);
            }
        }
        finally
        {
            sources.ForEach(s => s.Dispose());
        }

        double rate = sent / clock.Elapsed.TotalSeconds;
        clock.Stop();
        await DtlsFuzzTests.PingAsync(controller, server.LocalEndPoint, "after", received, log);
        long growth = ManagedHeap.Settled() - heapBefore;
        output.WriteLine($"{sent} ClientHellos in {clock.Elapsed.TotalSeconds:F1} s ({rate:F0}/s) from {Sources} addresses: {server.HelloVerifyRequestsSent} HelloVerifyRequests, " +
            $"{pings} pings through the session during the flood, peers {server.PeerCount}, handshakes {server.HandshakesInProgress}, managed heap {growth / 1024} KiB above before");
        // The sender shares two cores with the server (and, in CI, with everything else): the rate reached is reported.
        Assert.True(rate >= PerSecond / 4, $"the flood ran at {rate:F0}/s only");
        Assert.Equal(1, server.SessionCount);
        Assert.Equal(1, server.PeerCount);
        Assert.Equal(0, server.HandshakesInProgress);
        Assert.True(growth < 4 * 1024 * 1024, $"managed heap grew {growth / 1024} KiB during the flood");
    }
}

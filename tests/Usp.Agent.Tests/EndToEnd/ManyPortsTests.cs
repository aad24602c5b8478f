using System.Globalization;
using Usp.Tests.Support;
using Xunit.Abstractions;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>
/// Traffic from thousands of distinct Controller ports: each new port POSTs one USP Get to the real agent, is
/// answered (CoAP ACK, then the GetResp POSTed to its reply-to, which it acknowledges) and is never heard from
/// again. Whatever the agent keeps per peer (message-ID deduplication, ordering lanes, reply routes) must stay
/// bounded: after a warm-up round, VmRSS may not keep growing with the number of ports.
/// CI: 4 rounds of 1,000 ports; <c>USP_LONG_TESTS=1</c>: 20 rounds.
/// </summary>
public sealed class ManyPortsTests(ITestOutputHelper output)
{
    private const int PortsPerRound = 1000;
    private const int Concurrent = 50;

    [Fact]
    public async Task Requests_from_thousands_of_distinct_ports_leave_the_agents_memory_bounded()
    {
        int rounds = FuzzCorpus.Iterations(4, 20);
        await using var e2e = await E2EAgent.StartAsync();
        var rss = new List<long>();
        int answered = 0, serial = 0;
        for (int round = 1; round <= rounds; round++)
        {
            for (int batch = 0; batch < PortsPerRound / Concurrent; batch++)
            {
                var results = await Task.WhenAll(Enumerable.Range(0, Concurrent).Select(_ => OnePortAsync(e2e, Interlocked.Increment(ref serial))));
                answered += results.Count(r => r);
            }

            await Task.Delay(500);
            rss.Add(VmRssKiB(e2e.Agent.Pid));
        }

        int sent = rounds * PortsPerRound;
        long growth = rss[^1] - rss[0];
        output.WriteLine($"{sent} distinct ports, {answered} answered; agent VmRSS after each round of {PortsPerRound} (KiB): {string.Join(", ", rss)}; growth after the first round {growth} KiB");
        Assert.True(answered >= sent * 95 / 100, $"only {answered} of {sent} requests were answered{Environment.NewLine}{e2e.Agent.Output}");
        Assert.True(growth < 16 * 1024, $"VmRSS grew {growth} KiB over {sent - PortsPerRound} ports after the first round: {string.Join(", ", rss)}");
    }

    /// <summary>One Controller port: a Get, its CoAP ACK and its answer (acknowledged); false when something was lost on a loaded machine.</summary>
    private static async Task<bool> OnePortAsync(E2EAgent e2e, int serial)
    {
        await using var peer = new RawCoapPeer();
        string msgId = "port-" + serial.ToString(CultureInfo.InvariantCulture);
        byte[] record = E2EAgent.RecordBytes(E2EAgent.Get(msgId, "Device.DeviceInfo.Manufacturer"));
        var request = RawCoapMessage.Request(2, (ushort)serial, "e/" + E2EAgent.AgentId, [$"reply-to={peer.ReplyTo}"], 42, record);
        try
        {
            await peer.SendAsync(request, e2e.Agent.CoapPort);
            bool acknowledged = false, answered = false;
            for (int i = 0; i < 6 && !(acknowledged && answered); i++)
            {
                var (message, from) = await peer.ReceiveAsync(TimeSpan.FromSeconds(10));
                if (message.Type == RawCoapMessage.Ack && message.MessageId == (ushort)serial)
                {
                    acknowledged = message.CodeText == "2.04";
                }
                else if (message.Code == 2)
                {
                    await peer.ReplyAsync(message, from, 0x44);
                    answered = E2EAgent.MsgOf(message.Payload).Header.MsgId == msgId;
                }
            }

            return acknowledged && answered;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static long VmRssKiB(int pid)
    {
        string line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
}

using System.Diagnostics;
using System.Globalization;
using Usp.Proto;
using Usp.Tests.Support;
using Xunit.Abstractions;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>The soak: skipped, with the switches named, unless USP_LONG_TESTS=1 or USP_SOAK_SECONDS is set.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SoakFactAttribute : FactAttribute
{
    public SoakFactAttribute()
    {
        if (!FuzzCorpus.Long && SoakTests.SecondsSet is null)
        {
            Skip = "long variant only: run with USP_LONG_TESTS=1 (an hour) or USP_SOAK_SECONDS=N";
        }
    }
}

/// <summary>
/// Soak: the real agent under 100 requests a second (four Controller lanes of Gets of <c>Device.DeviceInfo.</c>, one in
/// ten a Set that fires a ValueChange notification with retry to the node Controller) for an hour
/// (<c>USP_SOAK_SECONDS</c> to choose another length): zero errors, and VmRSS after the warm-up grows less than 5 %.
/// Warm-up: the first tenth of the run, but at least 180 s (of runs of 360 s or more). On the build machine VmRSS climbs for
/// about 130 s (RssFile for 60 s as code is touched; RssAnon as methods tier up and the GC heap and SQLite's page cache
/// reach their working size), then saw-tooths flat, RssAnon ±1.5 MB with the collections. Growth compares peaks (one
/// sample may fall either side of a collection): the highest VmRSS of the last tenth of the run after the warm-up (at
/// least 90 s) over the highest of its first tenth. Long variant only.
/// </summary>
public sealed class SoakTests(ITestOutputHelper output)
{
    private const int Lanes = 4;
    private const int PerSecond = 100;

    internal static int? SecondsSet => int.TryParse(Environment.GetEnvironmentVariable("USP_SOAK_SECONDS"), CultureInfo.InvariantCulture, out int s) ? s : null;

    [SoakFact]
    public async Task An_hour_at_100_requests_a_second_with_subscriptions_has_no_errors_and_VmRSS_grows_under_5_percent_after_warm_up()
    {
        int seconds = SecondsSet ?? 3600;
        await using var e2e = await E2EAgent.StartAsync(factoryDefaults: (port, encrypted) => E2EAgent.FactoryDefaultsFor(port, encrypted) + """
            Device.LocalAgent.Subscription.1.Enable "true"
            Device.LocalAgent.Subscription.1.ID "soak"
            Device.LocalAgent.Subscription.1.Recipient "Device.LocalAgent.Controller.1"
            Device.LocalAgent.Subscription.1.NotifType "ValueChange"
            Device.LocalAgent.Subscription.1.ReferenceList "Device.LocalAgent.Controller.2.ProvisioningCode"
            Device.LocalAgent.Subscription.1.NotifRetry "true"

            """);
        var samples = new List<(double At, long RssKiB, long AnonKiB, long FileKiB)>();
        var clock = Stopwatch.StartNew();
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        int done = 0;
        using var sampling = new CancellationTokenSource();
        Task sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                samples.Add(Sample(clock, e2e.Agent.Pid));
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(Math.Max(1, seconds / 360)), sampling.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });

        await Task.WhenAll(Enumerable.Range(0, Lanes).Select(lane => Task.Run(async () =>
        {
            await using var peer = new RawCoapPeer();
            long perLane = (long)seconds * PerSecond / Lanes;
            for (long n = 0; n < perLane; n++)
            {
                // Paced to the rate: request n of this lane is due at n / (rate per lane) seconds.
                double due = n * Lanes / (double)PerSecond;
                double wait = due - clock.Elapsed.TotalSeconds;
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(wait));
                }

                string msgId = $"soak-{lane}-{n}";
                Msg msg = n % 10 == 9 ? SetCode(msgId, $"soak-{lane}-{n}") : E2EAgent.Get(msgId, "Device.DeviceInfo.");
                string? error = await RoundTripAsync(e2e, peer, msg, (ushort)n);
                if (error is not null)
                {
                    errors.Enqueue($"{msgId}: {error}");
                }

                Interlocked.Increment(ref done);
            }
        })));
        await sampling.CancelAsync();
        await sampler;
        samples.Add(Sample(clock, e2e.Agent.Pid));

        double warmUp = Math.Max(seconds / 10.0, Math.Min(180, seconds / 2.0));
        double window = Math.Min((seconds - warmUp) / 2, Math.Max((seconds - warmUp) / 10, 90));
        long firstPeak = samples.Where(p => p.At >= warmUp && p.At < warmUp + window).Max(p => p.RssKiB);
        long lastPeak = samples.Where(p => p.At >= seconds - window).Max(p => p.RssKiB);
        long baseline = samples.First(p => p.At >= warmUp).RssKiB;
        double growth = (double)(lastPeak - firstPeak) / firstPeak;
        output.WriteLine($"{done} requests in {clock.Elapsed.TotalSeconds:F0} s ({done / clock.Elapsed.TotalSeconds:F1}/s), {errors.Count} errors, load average at the end {File.ReadAllText("/proc/loadavg").Trim()}");
        output.WriteLine($"VmRSS at the start {samples[0].RssKiB} KiB, after the warm-up ({warmUp:F0} s) {baseline} KiB, at the end {samples[^1].RssKiB} KiB; " +
            $"peak of the first {window:F0} s after the warm-up {firstPeak} KiB, of the last {window:F0} s {lastPeak} KiB: growth {growth:P1}");
        output.WriteLine($"samples (s: VmRSS/RssAnon/RssFile KiB): {string.Join(", ", samples.Where((_, i) => i % Math.Max(1, samples.Count / 60) == 0).Select(p => $"{p.At:F0}: {p.RssKiB}/{p.AnonKiB}/{p.FileKiB}"))}");
        Assert.True(errors.IsEmpty, $"{errors.Count} errors, first: {string.Join("; ", errors.Take(5))}");
        Assert.True(growth < 0.05, $"VmRSS grew {growth:P1} after the warm-up (peaks {firstPeak} -> {lastPeak} KiB)");
    }

    /// <summary>One request on a lane's port: its 2.04 and its USP answer (acknowledged); the error, or null.</summary>
    private static async Task<string?> RoundTripAsync(E2EAgent e2e, RawCoapPeer peer, Msg msg, ushort mid)
    {
        var request = RawCoapMessage.Request(2, mid, "e/" + E2EAgent.AgentId, [$"reply-to={peer.ReplyTo}"], 42, E2EAgent.RecordBytes(msg));
        await peer.SendAsync(request, e2e.Agent.CoapPort);
        bool acknowledged = false;
        var upload = new Block1Upload();
        try
        {
            while (true)
            {
                var (message, from) = await peer.ReceiveAsync(TimeSpan.FromSeconds(10));
                if (message.Type == RawCoapMessage.Ack && message.MessageId == mid)
                {
                    if (message.CodeText != "2.04")
                    {
                        return $"CoAP {message.CodeText}";
                    }

                    acknowledged = true;
                }
                else if (message.Type == RawCoapMessage.Con && message.Code == 0x44)
                {
                    // 2.04 as a separate response (the agent sent an empty ACK first): acknowledge it.
                    await peer.ReplyAsync(message, from, 0);
                    acknowledged = true;
                }
                else if (message.Code == 2)
                {
                    // A large answer (Get Device.DeviceInfo. holds a row per process) arrives in Block1 blocks.
                    bool complete = upload.Add(message);
                    await peer.AcknowledgePostAsync(message, from);
                    if (!complete)
                    {
                        continue;
                    }

                    Msg answer = E2EAgent.MsgOf(upload.TakeBody());
                    if (answer.Header.MsgId != msg.Header.MsgId)
                    {
                        continue; // a retransmitted answer to an earlier request
                    }

                    if (answer.Header.MsgType == Header.Types.MsgType.Error)
                    {
                        return $"USP Error {answer.Body.Error.ErrCode} {answer.Body.Error.ErrMsg}";
                    }

                    return null;
                }
            }
        }
        catch (TimeoutException)
        {
            return acknowledged ? "no USP answer within 10 s" : "no CoAP ACK within 10 s";
        }
    }

    private static Msg SetCode(string msgId, string value) => E2EAgent.Set(msgId, "Device.LocalAgent.Controller.2.", "ProvisioningCode", value);

    private static (double, long, long, long) Sample(Stopwatch clock, int pid)
    {
        string[] status = File.ReadAllLines($"/proc/{pid}/status");
        long KiB(string field) => long.Parse(status.First(l => l.StartsWith(field, StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return (clock.Elapsed.TotalSeconds, KiB("VmRSS:"), KiB("RssAnon:"), KiB("RssFile:"));
    }
}

using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Usp.Agent.Tests.Hosting;
using Usp.Proto;
using Usp.Tests.Support;
using Xunit.Abstractions;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>
/// The real usp-agent and the node Controller talking through <see cref="UdpRelay"/>s impaired by one
/// <see cref="LinkImpairment"/> (the user-space stand-in for <c>tc qdisc netem</c>, which this kernel lacks): 30 % loss
/// each way, 100 ms ± 50 ms delay (so datagrams overtake each other), 10 % duplication. Every request completes
/// exactly once and every ValueChange notification arrives through retry; then the Controller goes away (every
/// datagram dropped) while changes are made, and on its return the pending notifications arrive, in order.
/// CI: 3 requests, 8 s away; <c>USP_LONG_TESTS=1</c>: 200 requests, 60 s away.
/// </summary>
public sealed class LossyLinkTests(ITestOutputHelper output)
{
    private const string Code = "Device.LocalAgent.Controller.2.ProvisioningCode";

    /// <summary>
    /// When an answer is lost for good: the agent's last retransmission leaves MAX_TRANSMIT_SPAN (45 s with RFC 7252's
    /// defaults) after the first, plus the link's delay.
    /// </summary>
    private static readonly TimeSpan AnswerWait = TimeSpan.FromSeconds(50);

    private static bool Long => FuzzCorpus.Long;

    [Fact]
    public async Task Over_a_lossy_duplicating_reordering_link_every_request_completes_once_and_notifications_arrive_also_after_the_Controller_was_away()
    {
        int requests = Long ? 200 : 3;
        TimeSpan away = TimeSpan.FromSeconds(Long ? 60 : 8);
        var link = new LinkImpairment(seed: 18);

        // Three paths, each impaired: the Controller's requests to the agent, the agent's answers to the reply-to the
        // requests name, and its notifications to the Controller's MTP row. Answers and notifications go to different
        // addresses of the Controller (as a reply-to may), so that NSTART 1 does not queue one behind the other.
        await using var toAgent = new UdpRelay(hook: link.Hook);
        await using var answers = new UdpRelay(hook: link.Hook);
        await using var notifications = new UdpRelay(hook: link.Hook);

        // ACK_TIMEOUT 1 s (the link's round trip is 200 ms), so that the Controller's exchanges end sooner. Its duplicate
        // detection lasts its EXCHANGE_LIFETIME, which these parameters shrink: MAX_LATENCY 20 s keeps it at 63.5 s, longer
        // than the agent's retransmissions of an answer (MAX_TRANSMIT_SPAN 45 s). With MAX_LATENCY 5 s it was 33.5 s, and a
        // retransmission whose earlier ACKs were all lost came after the Controller had forgotten the message: the same
        // CoAP message (same MID) taken for a new one, the "answered twice" once seen here.
        await using NodeUspController controller = await NodeUspController.StartAsync(E2EAgent.ControllerId, autoNotifyResp: true,
            replyTo: $"coap://127.0.0.1:{answers.Port}/ctrl", timing: """{"ackTimeout":1,"maxLatency":20}""");
        answers.Target = notifications.Target = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, controller.Port);

        using var directory = new TempDirectory();
        File.WriteAllText(directory.File("factory-defaults.txt"), E2EAgent.FactoryDefaultsFor(notifications.Port) + """
            Device.LocalAgent.Controller.1.USPNotifRetryMinimumWaitInterval "2"
            Device.LocalAgent.Controller.1.USPNotifRetryIntervalMultiplier "1500"
            Device.LocalAgent.Subscription.1.Enable "true"
            Device.LocalAgent.Subscription.1.ID "lossy-link"
            Device.LocalAgent.Subscription.1.Recipient "Device.LocalAgent.Controller.1"
            Device.LocalAgent.Subscription.1.NotifType "ValueChange"
            Device.LocalAgent.Subscription.1.ReferenceList "Device.LocalAgent.Controller.2.ProvisioningCode"
            Device.LocalAgent.Subscription.1.NotifRetry "true"
            Device.LocalAgent.Subscription.1.Persistent "true"

            """);
        int agentPort = FreePort.Udp();
        await using AgentProcess agent = await AgentProcess.StartAsync(directory.File("var"), directory.File("factory-defaults.txt"), agentPort, "--endpoint-id", E2EAgent.AgentId);
        toAgent.Target = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, agentPort);
        string agentUri = $"coap://127.0.0.1:{toAgent.Port}/e/{E2EAgent.AgentId}";
        string Describe() => $"link: requests {toAgent.Describe()}; answers {answers.Describe()}; notifications {notifications.Describe()}";

        // Everything the Controller receives, as it arrives: answers by msg_id (with the CoAP MID that carried each),
        // notified values in arrival order.
        var answered = new ConcurrentDictionary<string, ConcurrentQueue<string>>();
        var notified = new ConcurrentQueue<string>();
        var coapResults = new ConcurrentDictionary<string, string>();
        using var watching = new CancellationTokenSource();
        Task watcher = WatchAsync(controller, answered, notified, coapResults, watching.Token);

        // Lossy: Sets, three at a time (so that datagrams are in flight together and overtake each other). A Set whose
        // CoAP exchange fails, or whose answer is lost for good, is sent again under a new msg_id (a Set of one value is
        // idempotent).
        var phases = System.Diagnostics.Stopwatch.StartNew();
        int resent = 0;
        var sentIds = new ConcurrentQueue<string>();
        using var inFlight = new SemaphoreSlim(3);
        await Task.WhenAll(Enumerable.Range(1, requests).Select(async k =>
        {
            await inFlight.WaitAsync();
            try
            {
                for (int attempt = 0; ; attempt++)
                {
                    Assert.True(attempt < 5, $"Set {k} did not complete in 5 attempts: {Describe()}{Environment.NewLine}{agent.Output}");
                    string msgId = attempt == 0 ? $"lossy-{k}" : $"lossy-{k}-again-{attempt}";
                    sentIds.Enqueue(msgId);
                    string id = controller.SendUsp(agentUri, E2EAgent.AgentId, SetCode(msgId, $"lossy-{k}"));
                    Assert.True(await WaitAsync(() => coapResults.ContainsKey(id), TimeSpan.FromSeconds(150)), $"no CoAP outcome for {msgId}: {Describe()}; seen {string.Join(",", coapResults.Keys)}");
                    if (coapResults[id] == "2.04" && await WaitAsync(() => answered.ContainsKey(msgId), AnswerWait))
                    {
                        return;
                    }

                    Interlocked.Increment(ref resent);
                }
            }
            finally
            {
                inFlight.Release();
            }
        }));

        TimeSpan requestsTook = phases.Elapsed;
        var everyValue = Enumerable.Range(1, requests).Select(k => $"lossy-{k}").ToList();
        // Notifications go one at a time (NSTART 1), so a backlog drains at the link's pace: wait while they arrive.
        bool allNotified = await WaitWhileArrivingAsync(() => everyValue.All(notified.Contains), () => notified.Count, TimeSpan.FromSeconds(120));
        Assert.True(allNotified, $"ValueChange notifications missing after retries: {string.Join(",", everyValue.Where(v => !notified.Contains(v)))}; {Describe()}");
        string lossy = Describe();
        TimeSpan notificationsTook = phases.Elapsed - requestsTook;

        // Away: every datagram dropped while the admin socket makes changes; then back, without loss.
        link.Down = true;
        string[] awayValues = ["away-1", "away-2", "away-3"];
        foreach (string value in awayValues)
        {
            var (exit, _, error) = await AgentProcess.CliAsync("set", $"{Code}={value}", "--data-dir", agent.DataDir);
            Assert.True(exit == 0, error);
            await Task.Delay(300);
        }

        await Task.Delay(away);
        int heardWhileAway = notified.Count(v => v.StartsWith("away-", StringComparison.Ordinal));
        link.Loss = 0;
        link.Duplication = 0;
        link.Down = false;
        var back = System.Diagnostics.Stopwatch.StartNew();
        bool returned = await WaitAsync(() => awayValues.All(notified.Contains), TimeSpan.FromSeconds(150));
        back.Stop();
        await watching.CancelAsync();
        await watcher;

        string[] firstArrivals = notified.Where(v => v.StartsWith("away-", StringComparison.Ordinal)).Distinct().ToArray();
        output.WriteLine($"requests {requestsTook.TotalSeconds:F0} s, last notifications {notificationsTook.TotalSeconds:F0} s after them, pending notifications {back.Elapsed.TotalSeconds:F0} s after the return");
        output.WriteLine($"{requests} Sets over the lossy link: {sentIds.Count} sent ({resent} again after a failed exchange or a lost answer); {lossy}");
        output.WriteLine($"{notified.Count} ValueChange notifications received in all (retries included); away {away.TotalSeconds} s: {heardWhileAway} heard while away, then {string.Join(",", firstArrivals)}");
        Assert.Equal(0, heardWhileAway);
        Assert.True(returned, $"pending notifications missing after the Controller came back: {string.Join(",", awayValues.Where(v => !notified.Contains(v)))}{Environment.NewLine}{agent.Output}");
        Assert.Equal(awayValues, firstArrivals);

        // Exactly once: the agent answered each msg_id in one CoAP message (its retransmissions and the link's copies
        // share the MID), and the Controller's deduplication took that message once.
        string Carriers(string msgId) => string.Join(" ", answered[msgId]);
        string[] twiceByAgent = answered.Keys.Where(m => answered[m].Distinct().Count() > 1).ToArray();
        Assert.True(twiceByAgent.Length == 0, $"the agent answered more than once: {string.Join(", ", twiceByAgent.Select(m => $"{m} in MIDs {Carriers(m)}"))}");
        string[] twice = answered.Keys.Where(m => answered[m].Count > 1).ToArray();
        Assert.True(twice.Length == 0, $"the Controller took an answer twice: {string.Join(", ", twice.Select(m => $"{m} in MIDs {Carriers(m)}"))}");
        Assert.True(answered.Keys.All(sentIds.Contains));
    }

    private static Msg SetCode(string msgId, string value) => E2EAgent.Set(msgId, "Device.LocalAgent.Controller.2.", "ProvisioningCode", value);

    /// <summary>
    /// The one reader of the Controller's events until cancelled: the CoAP outcome of each POST by command id
    /// ("2.04", another code, or "failed"), the CoAP MID of each SetResp per msg_id, notified values in order of arrival.
    /// </summary>
    private static async Task WatchAsync(NodeUspController controller, ConcurrentDictionary<string, ConcurrentQueue<string>> answered, ConcurrentQueue<string> notified,
        ConcurrentDictionary<string, string> coapResults, CancellationToken cancel)
    {
        try
        {
            while (true)
            {
                JsonObject e = await controller.WaitForAsync(_ => true, TimeSpan.FromHours(1), cancel);
                switch ((string?)e["event"])
                {
                    case "sent":
                        coapResults[(string)e["id"]!] = (string?)e["code"] ?? "?";
                        continue;
                    case "send-failed":
                        coapResults[(string)e["id"]!] = "failed";
                        continue;
                    case "record" when e["msg"] is JsonObject:
                        break;
                    default:
                        continue;
                }

                var msg = Google.Protobuf.JsonParser.Default.Parse<Msg>(e["msg"]!.ToJsonString());
                if (msg.Body?.Response?.SetResp is not null)
                {
                    answered.GetOrAdd(msg.Header.MsgId, _ => new ConcurrentQueue<string>()).Enqueue($"{e["coap"]?["mid"]}");
                }
                else if (msg.Body?.Request?.Notify?.ValueChange is { } change && change.ParamPath == Code)
                {
                    notified.Enqueue(change.ParamValue);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Waits for <paramref name="condition"/> as long as <paramref name="progress"/> rose within <paramref name="idle"/>.</summary>
    private static async Task<bool> WaitWhileArrivingAsync(Func<bool> condition, Func<int> progress, TimeSpan idle)
    {
        int seen = progress();
        var deadline = DateTime.UtcNow + idle;
        while (!condition())
        {
            if (progress() != seen)
            {
                seen = progress();
                deadline = DateTime.UtcNow + idle;
            }
            else if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    private static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }
}

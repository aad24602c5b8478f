using System.Globalization;
using SQLitePCL;
using Xunit.Abstractions;
using Usp.Proto;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>
/// The real usp-agent process takes a seeded stream of Add/Set/Delete requests from the node Controller over
/// CoAP and is killed with SIGKILL at seeded random moments while the stream goes on, so that nearly every kill
/// lands while a request is in flight (the test counts them and fails if fewer than half do). After each kill: the database passes
/// <c>PRAGMA integrity_check</c> (opened read-only, before the restart); after each restart every acknowledged
/// change is there, the one request in flight is applied whole or not at all, and instance numbers never go
/// backwards. 20 trials; <c>USP_LONG_TESTS=1</c> runs 200.
/// </summary>
public sealed class CrashConsistencyTests(ITestOutputHelper output)
{
    private const string Subscriptions = "Device.LocalAgent.Subscription.";
    private static readonly string[] CodeControllers = ["Device.LocalAgent.Controller.2.", "Device.LocalAgent.Controller.3."];

    private static int Trials => Environment.GetEnvironmentVariable("USP_LONG_TESTS") == "1" ? 200 : 20;

    [Fact]
    public async Task Sigkill_at_random_moments_keeps_every_acknowledged_change_whole_and_instance_numbers_rising()
    {
        const int seed = 18;
        var random = new Random(seed);
        await using var e2e = await E2EAgent.StartAsync();
        var model = new Model();
        var initial = await ReadStateAsync(e2e);
        model.Code = initial.Codes[0];
        model.Observe(initial.Subscriptions, null, "start");
        int serial = 0;
        int acknowledged = 0, killedInFlight = 0, answeredAfterKill = 0, answersLost = 0, refusedAfterKill = 0;
        for (int trial = 1; trial <= Trials; trial++)
        {
            string where = $"seed {seed}, trial {trial}";
            var stream = new RequestStream(e2e, model, random.Next(), () => Interlocked.Increment(ref serial));
            Task running = stream.RunAsync();

            // The stream keeps sending while the signal goes out, so the kill lands at a random point of a request's
            // life (before the agent read it, mid-transaction, after the commit, while the answer is on its way);
            // only the rare gap between one answer and the next request finds nothing outstanding.
            await Task.Delay(random.Next(30, 1200));
            Change? outstanding = null;
            await e2e.KillAndRestartAsync(
                dataDir => Assert.Equal("ok", IntegrityCheck(Path.Combine(dataDir, "usp-agent.db"))),
                atKill: () =>
                {
                    outstanding = stream.InFlight;
                    stream.Stop();
                });

            // The request in flight at the kill: if the agent never acknowledged it at the CoAP layer the node
            // Controller retransmits it to the restarted agent; if it did, its USP answer may be lost for good.
            await stream.SettleAsync(running);
            acknowledged += stream.Acknowledged;
            if (outstanding is not null)
            {
                killedInFlight++;
                switch (stream.Outcome)
                {
                    case StreamOutcome.AnswerLost: answersLost++; break;
                    case StreamOutcome.Refused: refusedAfterKill++; break;
                    default: answeredAfterKill++; break;
                }
            }

            var state = await ReadStateAsync(e2e);
            model.Observe(state.Subscriptions, stream.InFlight, where, state.Codes);
        }

        output.WriteLine($"{Trials} SIGKILLs, {acknowledged} acknowledged requests, {killedInFlight} kills hit a request in flight: " +
            $"{answeredAfterKill} answered after the kill (answer on its way, or retransmitted to the restarted agent), " +
            $"{answersLost} acknowledged at the CoAP layer with the USP answer lost, {refusedAfterKill} refused after the restart; " +
            $"highest instance {model.HighestInstance}");
        Assert.True(acknowledged >= Trials * 3, $"only {acknowledged} requests were acknowledged over {Trials} trials");
        // A stream that stopped before the signal (the weakness this test had) would land almost every kill between requests.
        Assert.True(killedInFlight * 2 >= Trials, $"only {killedInFlight} of {Trials} kills hit a request in flight");
    }

    private static string IntegrityCheck(string databasePath)
    {
        Batteries_V2.Init();
        Assert.Equal(raw.SQLITE_OK, raw.sqlite3_open_v2(databasePath, out var db, raw.SQLITE_OPEN_READONLY, null));
        using (db)
        {
            Assert.Equal(raw.SQLITE_OK, raw.sqlite3_prepare_v2(db, "PRAGMA integrity_check;", out var statement));
            using (statement)
            {
                var lines = new List<string>();
                while (raw.sqlite3_step(statement) == raw.SQLITE_ROW)
                {
                    lines.Add(raw.sqlite3_column_text(statement, 0).utf8_to_string());
                }

                return string.Join("; ", lines);
            }
        }
    }

    private static async Task<(Dictionary<string, (int Instance, string Expiration)> Subscriptions, string[] Codes)> ReadStateAsync(E2EAgent e2e)
    {
        var get = E2EAgent.Get($"state-{Guid.NewGuid():N}", Subscriptions + "*.", CodeControllers[0] + "ProvisioningCode", CodeControllers[1] + "ProvisioningCode");
        var (response, _) = await e2e.WithAgentLogAsync(e2e.RoundTripAsync(get));
        Assert.Equal(Header.Types.MsgType.GetResp, response.Header.MsgType);
        var subs = new Dictionary<string, (int, string)>();
        foreach (var resolved in response.Body.Response.GetResp.ReqPathResults[0].ResolvedPathResults)
        {
            string id = resolved.ResultParams["ID"];
            Assert.False(subs.ContainsKey(id), $"two subscriptions carry the ID {id}: a request was applied twice");
            subs[id] = (InstanceOf(resolved.ResolvedPath), resolved.ResultParams["NotifExpiration"]);
        }

        string[] codes = response.Body.Response.GetResp.ReqPathResults.Skip(1)
            .Select(r => r.ResolvedPathResults.Single().ResultParams["ProvisioningCode"]).ToArray();
        return (subs, codes);
    }

    private static int InstanceOf(string path) =>
        int.Parse(path[Subscriptions.Length..].TrimEnd('.'), CultureInfo.InvariantCulture);

    /// <summary>One request of the stream: what it changes, so the check knows what "whole" means.</summary>
    private sealed record Change(string Kind, string Id, string Value);

    /// <summary>What the agent acknowledged so far, and the highest instance number it ever used.</summary>
    private sealed class Model
    {
        public Dictionary<string, (int Instance, string Expiration)> Subs { get; private set; } = new();

        public string Code { get; set; } = string.Empty;

        public int HighestInstance { get; set; }

        public void Acknowledged(Change change, int instance)
        {
            switch (change.Kind)
            {
                case "add":
                    Assert.True(instance > HighestInstance, $"Add of {change.Id} got instance {instance}, not above {HighestInstance} used before");
                    HighestInstance = instance;
                    Subs[change.Id] = (instance, change.Value);
                    break;
                case "delete":
                    Subs.Remove(change.Id);
                    break;
                default:
                    Code = change.Value;
                    break;
            }
        }

        /// <summary>Checks the state read back after a restart against the acknowledged changes, then adopts it.</summary>
        public void Observe(Dictionary<string, (int Instance, string Expiration)> actual, Change? inFlight, string where, string[]? codes = null)
        {
            if (codes is not null)
            {
                string context = $"{where}; in flight: {inFlight?.ToString() ?? "none"}; acknowledged {string.Join(",", Subs.Select(p => $"{p.Key}@{p.Value.Instance}"))}; read back {string.Join(",", actual.Select(p => $"{p.Key}@{p.Value.Instance}"))}";
                Assert.True(codes[0] == codes[1], $"{context}: the two-object Set was half applied ({codes[0]} / {codes[1]})");
                Assert.True(codes[0] == Code || (inFlight?.Kind == "set" && codes[0] == inFlight.Value),
                    $"{context}: ProvisioningCode is {codes[0]}, acknowledged {Code}");
                foreach (var (id, (instance, expiration)) in Subs)
                {
                    if (inFlight?.Kind == "delete" && inFlight.Id == id && !actual.ContainsKey(id))
                    {
                        continue;
                    }

                    Assert.True(actual.TryGetValue(id, out var found), $"{context}: acknowledged subscription {id} is missing");
                    Assert.Equal((instance, expiration), found);
                }

                foreach (var (id, (instance, expiration)) in actual)
                {
                    if (Subs.ContainsKey(id))
                    {
                        continue;
                    }

                    Assert.True(inFlight?.Kind == "add" && inFlight.Id == id, $"{context}: subscription {id} was never acknowledged");
                    Assert.True(expiration == inFlight!.Value, $"{context}: the unacknowledged Add of {id} was half applied");
                    Assert.True(instance > HighestInstance, $"{context}: {id} got instance {instance}, not above {HighestInstance}");
                }

                Code = codes[0];
            }

            Subs = new Dictionary<string, (int, string)>(actual);
            HighestInstance = Math.Max(HighestInstance, actual.Values.Select(v => v.Instance).DefaultIfEmpty(0).Max());
        }
    }

    /// <summary>How the stream's last request ended.</summary>
    private enum StreamOutcome
    {
        Answered,
        /// <summary>The CoAP layer acknowledged it, the USP answer never came.</summary>
        AnswerLost,
        /// <summary>Not taken at the CoAP layer, or answered with a USP Error (a retransmitted Add whose ID was taken).</summary>
        Refused,
    }

    /// <summary>Sends one request at a time and waits for its USP answer before the next, until stopped.</summary>
    private sealed class RequestStream(E2EAgent e2e, Model model, int seed, Func<int> nextSerial)
    {
        private readonly Random _random = new(seed);
        private readonly CancellationTokenSource _giveUp = new();
        private volatile bool _stopped;
        private volatile bool _coapAcknowledged;
        private volatile Change? _inFlight;

        /// <summary>The request sent (or about to be) whose USP answer has not come; read from the killing thread.</summary>
        public Change? InFlight { get => _inFlight; private set => _inFlight = value; }

        public int Acknowledged { get; private set; }

        public StreamOutcome Outcome { get; private set; } = StreamOutcome.Answered;

        public void Stop() => _stopped = true;

        public async Task RunAsync()
        {
            while (!_stopped)
            {
                int n = nextSerial();
                var (change, msg) = Next(n);
                InFlight = change;
                _coapAcknowledged = false;
                string id = e2e.Controller.SendUsp(e2e.AgentUri, E2EAgent.AgentId, msg);
                try
                {
                    var sent = await e2e.Controller.WaitForCoapResultAsync(id, TimeSpan.FromSeconds(120), _giveUp.Token);
                    if ((string?)sent["code"] != "2.04")
                    {
                        Outcome = StreamOutcome.Refused;
                        return; // the agent never took it: unacknowledged, possibly (never half) applied
                    }

                    _coapAcknowledged = true;
                    var (response, _) = await e2e.Controller.WaitForMsgAsync(m => m.Header.MsgId == msg.Header.MsgId, TimeSpan.FromSeconds(120), _giveUp.Token);
                    if (response.Header.MsgType == Header.Types.MsgType.Error)
                    {
                        Outcome = StreamOutcome.Refused;
                        return; // e.g. a retransmitted Add the agent had committed before the kill: ID taken
                    }

                    model.Acknowledged(change, change.Kind == "add"
                        ? InstanceOf(response.Body.Response.AddResp.CreatedObjResults[0].OperStatus.OperSuccess.InstantiatedPath)
                        : 0);
                    Acknowledged++;
                    InFlight = null;
                }
                catch (OperationCanceledException)
                {
                    Outcome = _coapAcknowledged ? StreamOutcome.AnswerLost : StreamOutcome.Refused;
                    return;
                }
            }
        }

        /// <summary>
        /// Waits for the request in flight to resolve against the restarted agent: a CoAP retransmission
        /// always does; an answer lost after the CoAP ACK never comes, so that wait is cut short (it starts after
        /// the restart, by when an answer the killed agent had already sent has long reached the Controller).
        /// </summary>
        public async Task SettleAsync(Task running)
        {
            var deadline = DateTime.UtcNow.AddSeconds(1);
            while (!running.IsCompleted && (!_coapAcknowledged || DateTime.UtcNow < deadline))
            {
                await Task.WhenAny(running, Task.Delay(100));
            }

            _giveUp.Cancel();
            await running;
        }

        private (Change Change, Msg Msg) Next(int n)
        {
            string msgId = $"crash-{n}";
            int pick = _random.Next(4);
            if (pick == 3 && model.Subs.Count > 0)
            {
                string victim = model.Subs.Keys.ElementAt(_random.Next(model.Subs.Count));
                var delete = new Delete { AllowPartial = false };
                delete.ObjPaths.Add($"{Subscriptions}{model.Subs[victim].Instance}.");
                return (new Change("delete", victim, string.Empty), E2EAgent.Request(msgId, Header.Types.MsgType.Delete, new Request { Delete = delete }));
            }

            if (pick == 2)
            {
                var set = new Set { AllowPartial = false };
                foreach (string controller in CodeControllers)
                {
                    set.UpdateObjs.Add(new Set.Types.UpdateObject
                    {
                        ObjPath = controller,
                        ParamSettings = { new Set.Types.UpdateParamSetting { Param = "ProvisioningCode", Value = $"v{n}", Required = true } },
                    });
                }

                return (new Change("set", string.Empty, $"v{n}"), E2EAgent.Request(msgId, Header.Types.MsgType.Set, new Request { Set = set }));
            }

            // NotifExpiration carries the serial (the check compares it) far enough out that nothing expires.
            string expiration = (1_000_000 + n).ToString(CultureInfo.InvariantCulture);
            var add = new Add { AllowPartial = false };
            add.CreateObjs.Add(new Add.Types.CreateObject
            {
                ObjPath = Subscriptions,
                ParamSettings =
                {
                    new Add.Types.CreateParamSetting { Param = "ID", Value = $"s{n}", Required = true },
                    new Add.Types.CreateParamSetting { Param = "NotifExpiration", Value = expiration, Required = true },
                    new Add.Types.CreateParamSetting { Param = "Persistent", Value = "true", Required = true }, // else the restart removes it
                    new Add.Types.CreateParamSetting { Param = "ReferenceList", Value = "Device.LocalAgent.SoftwareVersion", Required = true },
                },
            });
            return (new Change("add", $"s{n}", expiration), E2EAgent.Request(msgId, Header.Types.MsgType.Add, new Request { Add = add }));
        }
    }
}

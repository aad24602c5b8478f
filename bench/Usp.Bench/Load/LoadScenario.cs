using System.Diagnostics;
using Usp.Proto;

namespace Usp.Bench.Load;

/// <summary>Latency figures of one set of round trips, in milliseconds.</summary>
internal sealed record LatencyStats(long Count, double P50, double P90, double P99, double Max)
{
    public static LatencyStats Of(List<double> values)
    {
        if (values.Count == 0)
        {
            return new LatencyStats(0, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        values.Sort();
        double At(double p) => values[Math.Min(values.Count - 1, (int)(p * values.Count))];
        return new LatencyStats(values.Count, At(0.50), At(0.90), At(0.99), values[^1]);
    }
}

/// <summary>One load run: N Controllers over one transport against a freshly started agent.</summary>
internal sealed record LoadResult(
    string Build, string Transport, int Controllers, double Seconds, long Requests, double RequestsPerSecond, LatencyStats All,
    Dictionary<string, LatencyStats> PerOperation, long Errors, string? FirstError, double AgentCpuMicrosPerRequest,
    double AgentCpuPercent, double GeneratorCpuPercent, long VmRssKb, long RssAnonKb, long VmHwmKb, double LoadAverage,
    int DeviceInfoAnswerBytes = 0, int ProcessRows = 0);

/// <summary>
/// N Controllers, each with one request in flight, cycling Get <c>Device.DeviceInfo.</c>, Set
/// <c>Device.DeviceInfo.FriendlyName</c> and Get <c>Device.</c> back to back; latency is POST sent → answer Record received
/// at the Controller's reply-to; the agent's CPU (utime+stime) is read from /proc over the measured seconds.
/// </summary>
internal static class LoadScenario
{
    public static readonly string[] Operations = ["Get Device.DeviceInfo.", "Set FriendlyName", "Get Device."];
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <param name="getOnly">Get Device.DeviceInfo. only (the CPU per Get of the builds table).</param>
    public static async Task<LoadResult> RunAsync(BenchContext context, string build, string binary, bool secure, int controllerCount,
        bool getOnly = false, IReadOnlyDictionary<string, string>? environment = null)
    {
        string directory = context.NewDirectory($"load-{build}-{(secure ? "coaps" : "coap")}-{controllerCount}");
        int[] operations = getOnly ? [0] : [0, 1, 2];
        await using AgentUnderTest agent = await AgentUnderTest.StartAsync(binary, directory, context.Pki, environment: environment);
        var agentEndPoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, secure ? agent.CoapsPort : agent.CoapPort);
        var controllers = new List<BenchController>();
        try
        {
            for (int i = 0; i < controllerCount; i++)
            {
                string id = $"proto::bench-ctrl-{i}";
                controllers.Add(BenchController.Create(id, agentEndPoint, AgentUnderTest.AgentId, secure ? context.ControllerSecurity(i) : null));
            }

            // DTLS handshakes a few at a time: the agent admits 4 in progress per source address.
            using (var gate = new SemaphoreSlim(3))
            {
                await Task.WhenAll(controllers.Select(async c =>
                {
                    await gate.WaitAsync();
                    try
                    {
                        await c.ConnectAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }));
            }

            var run = new Run();
            Task[] loops = controllers.Select((c, i) => LoopAsync(c, i, operations, run)).ToArray();
            await Task.Delay(context.Warmup);
            ProcSample before = agent.Sample();
            TimeSpan generatorBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            run.Measuring = true;
            await Task.Delay(context.Measure);
            run.Measuring = false;
            double seconds = watch.Elapsed.TotalSeconds;
            ProcSample after = agent.Sample();
            double generatorCpu = (Process.GetCurrentProcess().TotalProcessorTime - generatorBefore).TotalSeconds;
            run.Stopping = true;
            await Task.WhenAll(loops);

            var all = new List<double>();
            var perOperation = new Dictionary<string, LatencyStats>();
            foreach (int op in operations)
            {
                List<double> values = run.Latencies[op];
                all.AddRange(values);
                perOperation[Operations[op]] = LatencyStats.Of([.. values]);
            }

            long requests = all.Count;
            double cpuSeconds = (after.CpuTicks - before.CpuTicks) / ProcSample.TicksPerSecond;
            return new LoadResult(build, secure ? "coaps" : "coap", controllerCount, seconds, requests, requests / seconds, LatencyStats.Of(all),
                perOperation, run.Errors, run.FirstError, cpuSeconds * 1e6 / Math.Max(1, requests), cpuSeconds / seconds * 100,
                generatorCpu / seconds * 100, after.VmRssKb, after.RssAnonKb, after.VmHwmKb, BenchContext.LoadAverage(),
                run.DeviceInfoAnswerBytes, run.ProcessRows);
        }
        finally
        {
            foreach (BenchController c in controllers)
            {
                await c.DisposeAsync();
            }
        }
    }

    private sealed class Run
    {
        public readonly List<double>[] Latencies = [[], [], []];
        public volatile bool Measuring;
        public volatile bool Stopping;
        public long Errors;
        public string? FirstError;

        /// <summary>The size of an answer to Get Device.DeviceInfo. and its ProcessStatus.Process rows (every process the agent can see).</summary>
        public volatile int DeviceInfoAnswerBytes;
        public volatile int ProcessRows;
    }

    private static async Task LoopAsync(BenchController controller, int index, int[] operations, Run run)
    {
        await Task.Yield();
        long sequence = 0;
        var mine = new List<double>[] { [], [], [] };
        while (!run.Stopping)
        {
            int op = operations[(int)(sequence % operations.Length)];
            Msg msg = Request(op, $"{controller.EndpointId}-{++sequence}", index, sequence);
            bool measured = run.Measuring;
            long start = Stopwatch.GetTimestamp();
            try
            {
                Msg answer = await controller.RequestAsync(msg, Timeout);
                string? problem = Problem(answer);
                if (problem is not null)
                {
                    throw new BenchRequestException(problem);
                }

                if (measured && run.Measuring)
                {
                    mine[op].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }

                if (op == 0 && run.DeviceInfoAnswerBytes == 0)
                {
                    run.ProcessRows = answer.Body.Response.GetResp.ReqPathResults[0].ResolvedPathResults
                        .Count(r => r.ResolvedPath.StartsWith("Device.DeviceInfo.ProcessStatus.Process.", StringComparison.Ordinal));
                    run.DeviceInfoAnswerBytes = answer.CalculateSize();
                }
            }
            catch (BenchRequestException e) when (measured)
            {
                Interlocked.Increment(ref run.Errors);
                Interlocked.CompareExchange(ref run.FirstError, $"{BenchContext.Operation(op)}: {e.Message}", null);
            }
            catch (BenchRequestException)
            {
            }
        }

        lock (run)
        {
            for (int op = 0; op < 3; op++)
            {
                run.Latencies[op].AddRange(mine[op]);
            }
        }
    }

    private static Msg Request(int op, string msgId, int controller, long sequence) => op switch
    {
        0 => UspMessages.Get(msgId, "Device.DeviceInfo."),
        1 => UspMessages.Set(msgId, "Device.DeviceInfo.", "FriendlyName", $"bench {controller}/{sequence}"),
        _ => UspMessages.Get(msgId, "Device."),
    };

    /// <summary>Why an answer is not the success it should be, or null.</summary>
    public static string? Problem(Msg answer)
    {
        if (answer.Body.MsgBodyCase == Body.MsgBodyOneofCase.Error)
        {
            return $"USP Error {answer.Body.Error.ErrCode}: {answer.Body.Error.ErrMsg}";
        }

        Response response = answer.Body.Response;
        if (response.GetResp is { } get && get.ReqPathResults.FirstOrDefault(r => r.ErrCode != 0) is { } failed)
        {
            return $"Get error {failed.ErrCode}: {failed.ErrMsg}";
        }

        if (response.SetResp is { } set && set.UpdatedObjResults.Any(r => r.OperStatus.OperStatusCase != SetResp.Types.UpdatedObjectResult.Types.OperationStatus.OperStatusOneofCase.OperSuccess))
        {
            return "Set failed";
        }

        return null;
    }
}

using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Usp.Proto;

namespace Usp.Bench.Load;

/// <param name="Source">What changed the values: the simulated sensor alone, or Sets from a fifth Controller besides.</param>
internal sealed record NotifyResult(string Build, string Source, int Controllers, int Sensors, double Seconds, long[] PerController,
    double NotificationsPerSecond, double SetsPerSecond, double AgentCpuMicrosPerNotification, long VmHwmKb, double LoadAverage);

internal sealed record ScaleRow(string Build, int Instances, int Gets, double MedianMs, double MaxMs, long ResponseBytes, int Parameters,
    double AgentCpuMsPerGet, long VmRssKb, long VmHwmKb, double AddSecondsPer100, double LoadAverage);

internal sealed record FootprintResult(string Build, long BinaryBytes, long FolderBytes, double ReadyMsMedian, double[] ReadyMs, long IdleVmRssKb,
    long IdleRssAnonKb, double IdleSeconds, long? LongIdleVmRssKb, long? LongIdleRssAnonKb, double? LongIdleMinutes, double LoadAverage);

/// <summary>
/// ValueChange throughput to 4 subscribed Controllers: first from a simulated BME280 polled every 50 ms alone, then with a
/// fifth Controller Setting <c>Device.DeviceInfo.FriendlyName</c> (also subscribed) as fast as it is answered.
/// </summary>
internal static class NotifyScenario
{
    public static async Task<List<NotifyResult>> RunAsync(BenchContext context, string build, string binary, int controllerCount = 4)
    {
        var controllers = new List<BenchController>();
        var placeholder = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9);
        try
        {
            // The Controllers exist before the agent: their ports go into the factory defaults (Controller.{i}.MTP).
            var rows = new System.Text.StringBuilder();
            for (int i = 0; i < controllerCount; i++)
            {
                controllers.Add(BenchController.Create($"proto::bench-notify-{i}", placeholder, AgentUnderTest.AgentId, null));
                int n = i + 1;
                rows.AppendLine(CultureInfo.InvariantCulture, $"""
                    Device.LocalAgent.Controller.{n}.Enable "true"
                    Device.LocalAgent.Controller.{n}.EndpointID "proto::bench-notify-{i}"
                    Device.LocalAgent.Controller.{n}.AssignedRole "Device.LocalAgent.ControllerTrust.Role.1"
                    Device.LocalAgent.Controller.{n}.MTP.1.Enable "true"
                    Device.LocalAgent.Controller.{n}.MTP.1.Protocol "CoAP"
                    Device.LocalAgent.Controller.{n}.MTP.1.CoAP.Host "127.0.0.1"
                    Device.LocalAgent.Controller.{n}.MTP.1.CoAP.Port "{controllers[i].Port}"
                    Device.LocalAgent.Controller.{n}.MTP.1.CoAP.Path "ctrl"
                    Device.LocalAgent.Controller.{n}.MTP.1.CoAP.EnableEncryption "false"
                    """);
            }

            string config = """{ "Hal": { "Devices": [ { "Name": "fast", "Type": "bme280", "Bus": 1, "Address": "0x76", "PollInterval": 0.05 } ] } }""";
            await using AgentUnderTest agent = await AgentUnderTest.StartAsync(binary, context.NewDirectory($"notify-{build}"), context.Pki, rows.ToString(), config);
            var agentEndPoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, agent.CoapPort);
            controllers.ForEach(c => c.Agent = agentEndPoint);

            Msg capabilities = await controllers[0].RequestAsync(UspMessages.Get("find-sensors", "Device.IoTCapability.*.LevelSensor.Value"), TimeSpan.FromSeconds(10));
            string[] values = capabilities.Body.Response.GetResp.ReqPathResults[0].ResolvedPathResults.Select(r => r.ResolvedPath + "Value").ToArray();
            if (values.Length == 0)
            {
                throw new InvalidOperationException("no simulated LevelSensor found: " + capabilities);
            }

            for (int i = 0; i < controllerCount; i++)
            {
                Msg added = await controllers[i].RequestAsync(UspMessages.Add($"sub-{i}", "Device.LocalAgent.Subscription.", 1, _ =>
                [
                    ("ID", $"bench-{i}"), ("Enable", "true"), ("NotifType", "ValueChange"), ("NotifRetry", "false"), ("ReferenceList", string.Join(',', values) + ",Device.DeviceInfo.FriendlyName"),
                ]), TimeSpan.FromSeconds(10));
                if (added.Body.MsgBodyCase != Body.MsgBodyOneofCase.Response)
                {
                    throw new InvalidOperationException("Add Subscription refused: " + added);
                }
            }

            await Task.Delay(context.Warmup);
            var results = new List<NotifyResult>();
            foreach (bool withSets in new[] { false, true })
            {
                long[] before = controllers.Select(c => c.Notifications).ToArray();
                ProcSample cpuBefore = agent.Sample();
                var watch = Stopwatch.StartNew();
                long sets = 0;
                if (withSets)
                {
                    await using BenchController setter = BenchController.Create("proto::bench-setter", agentEndPoint, AgentUnderTest.AgentId, null);
                    while (watch.Elapsed < context.Measure)
                    {
                        Msg answer = await setter.RequestAsync(UspMessages.Set($"set-{sets}", "Device.DeviceInfo.", "FriendlyName", $"notify {sets}"), TimeSpan.FromSeconds(10));
                        if (LoadScenario.Problem(answer) is { } problem)
                        {
                            throw new InvalidOperationException(problem);
                        }

                        sets++;
                    }

                    await Task.Delay(200); // the last Sets' notifications
                }
                else
                {
                    await Task.Delay(context.Measure);
                }

                double seconds = watch.Elapsed.TotalSeconds;
                ProcSample cpuAfter = agent.Sample();
                long[] received = controllers.Select((c, i) => c.Notifications - before[i]).ToArray();
                long total = received.Sum();
                double cpu = (cpuAfter.CpuTicks - cpuBefore.CpuTicks) / ProcSample.TicksPerSecond;
                results.Add(new NotifyResult(build, withSets ? "sensor + Sets" : "sensor", controllerCount, values.Length, seconds, received, total / seconds,
                    sets / seconds, cpu * 1e6 / Math.Max(1, total), cpuAfter.VmHwmKb, BenchContext.LoadAverage()));
            }

            return results;
        }
        finally
        {
            foreach (BenchController c in controllers)
            {
                await c.DisposeAsync();
            }
        }
    }
}

/// <summary>Get Device. as the data model grows: 10 … 10,000 Subscription rows, added 100 per Add.</summary>
internal static class ScaleScenario
{
    public static async Task<List<ScaleRow>> RunAsync(BenchContext context, string build, string binary, int[] sizes)
    {
        await using AgentUnderTest agent = await AgentUnderTest.StartAsync(binary, context.NewDirectory($"scale-{build}"), context.Pki);
        var endPoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, agent.CoapPort);
        await using BenchController controller = BenchController.Create("proto::bench-scale", endPoint, AgentUnderTest.AgentId, null);
        var rows = new List<ScaleRow>();
        int present = 0;
        long sequence = 0;
        foreach (int size in sizes)
        {
            var addWatch = Stopwatch.StartNew();
            int added = size - present;
            while (present < size)
            {
                int batch = Math.Min(100, size - present);
                int first = present;
                Msg answer = await controller.RequestAsync(UspMessages.Add($"add-{++sequence}", "Device.LocalAgent.Subscription.", batch, i =>
                [
                    ("ID", $"scale-{first + i}"), ("Enable", "false"), ("NotifType", "ValueChange"), ("ReferenceList", "Device.DeviceInfo.FriendlyName"),
                ]), TimeSpan.FromSeconds(60));
                if (answer.Body.MsgBodyCase != Body.MsgBodyOneofCase.Response)
                {
                    throw new InvalidOperationException($"Add refused at {present} rows: {answer}");
                }

                present += batch;
            }

            double addSecondsPer100 = added > 0 ? addWatch.Elapsed.TotalSeconds / added * 100 : 0;
            await controller.RequestAsync(UspMessages.Get($"get-{++sequence}", "Device."), TimeSpan.FromSeconds(120)); // warm-up, not counted
            var latencies = new List<double>();
            long bytes = 0;
            int parameters = 0;
            ProcSample before = agent.Sample();
            var budget = Stopwatch.StartNew();
            while (latencies.Count < 3 || (latencies.Count < 20 && budget.Elapsed < TimeSpan.FromSeconds(3)))
            {
                long start = Stopwatch.GetTimestamp();
                Msg answer = await controller.RequestAsync(UspMessages.Get($"get-{++sequence}", "Device."), TimeSpan.FromSeconds(120));
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (LoadScenario.Problem(answer) is { } problem)
                {
                    throw new InvalidOperationException($"Get Device. at {size} rows: {problem}");
                }

                bytes = answer.CalculateSize();
                parameters = answer.Body.Response.GetResp.ReqPathResults.Sum(r => r.ResolvedPathResults.Sum(p => p.ResultParams.Count));
            }

            ProcSample after = agent.Sample();
            double cpuMs = (after.CpuTicks - before.CpuTicks) / ProcSample.TicksPerSecond * 1000 / latencies.Count;
            LatencyStats stats = LatencyStats.Of(latencies);
            rows.Add(new ScaleRow(build, size, latencies.Count, stats.P50, stats.Max, bytes, parameters, cpuMs, after.VmRssKb, after.VmHwmKb,
                addSecondsPer100, BenchContext.LoadAverage()));
            Console.WriteLine($"  scale {build}: {size} rows, Get Device. median {stats.P50:F1} ms, {bytes / 1024.0:F0} KiB, {parameters} parameters");
        }

        return rows;
    }
}

/// <summary>Exec → ready over several starts, idle memory after a short and (optionally) a long idle, binary size.</summary>
internal static class FootprintScenario
{
    public static async Task<FootprintResult> RunAsync(BenchContext context, string build, string binary, int starts, TimeSpan idle, TimeSpan? longIdle,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var ready = new List<double>();
        var rss = new List<long>();
        var anon = new List<long>();
        for (int i = 0; i < starts; i++)
        {
            await using AgentUnderTest agent = await AgentUnderTest.StartAsync(binary, context.NewDirectory($"start-{build}-{i}"), context.Pki, environment: environment);
            ready.Add(agent.ReadyMs);
            await Task.Delay(idle);
            ProcSample sample = agent.Sample();
            rss.Add(sample.VmRssKb);
            anon.Add(sample.RssAnonKb);
        }

        long? longRss = null, longAnon = null;
        if (longIdle is { } wait)
        {
            await using AgentUnderTest agent = await AgentUnderTest.StartAsync(binary, context.NewDirectory($"idle-{build}"), context.Pki, environment: environment);
            await Task.Delay(wait);
            ProcSample sample = agent.Sample();
            (longRss, longAnon) = (sample.VmRssKb, sample.RssAnonKb);
        }

        string folder = Path.GetDirectoryName(Path.GetFullPath(binary))!;
        long folderBytes = new DirectoryInfo(folder).EnumerateFiles().Where(f => f.Extension is not ".dbg" and not ".pdb").Sum(f => f.Length);
        return new FootprintResult(build, new FileInfo(binary).Length, folderBytes, Median(ready), [.. ready], Median(rss), Median(anon), idle.TotalSeconds,
            longRss, longAnon, longIdle?.TotalMinutes, BenchContext.LoadAverage());
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static long Median(List<long> values) => values.Order().ElementAt(values.Count / 2);
}

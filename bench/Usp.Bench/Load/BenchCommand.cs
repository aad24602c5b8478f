using System.Globalization;
using System.Text.Json;

namespace Usp.Bench.Load;

/// <summary>A build under measurement: its label and its usp-agent (an aarch64 one runs under qemu-user).</summary>
internal sealed record BuildUnderTest(string Name, string Binary)
{
    public bool Emulated => AgentLauncher.IsForeignAarch64(Binary);
}

/// <summary>Everything one <c>load suite</c> run measured; written as JSON beside the report.</summary>
internal sealed class SuiteResults
{
    public string Date { get; set; } = "";
    public string Machine { get; set; } = "";
    public string Command { get; set; } = "";
    public double LoadAverageAtStart { get; set; }
    public double LoadAverageAtEnd { get; set; }
    public double DurationSeconds { get; set; }
    public double WarmupSeconds { get; set; }
    public double MeasureSeconds { get; set; }
    public List<BuildUnderTest> Builds { get; set; } = [];
    public List<FootprintResult> Footprints { get; set; } = [];
    public List<LoadResult> Load { get; set; } = [];
    public List<LoadResult> GetOnly { get; set; } = [];
    public List<NotifyResult> Notify { get; set; } = [];
    public List<ScaleRow> Scale { get; set; } = [];
}

/// <summary>
/// The load generator's command line:
///   load suite --build NAME=PATH... --out DIR [--controllers 1,4,16,64] [--transports coap,coaps] [--sizes 10,100,1000,10000]
///              [--warmup S] [--seconds S] [--starts N] [--long-idle-minutes M] [--readme FILE]
///   load smoke --build NAME=PATH          a few requests over coap and coaps; exit 1 on any error
///   load scale --build NAME=PATH... [--sizes 10,100,1000,10000]   the suite's scale part alone (Add, then Get Device.)
///   load gc --build NAME=PATH --variant 'LABEL=K=V,K=V'... [--controllers 16] [--seconds S] [--out FILE]
///   load report --from latest.json... --out DIR [--readme FILE]   one report from several runs (e.g. x64, then arm64)
/// Emulated builds (aarch64 under qemu-user) get the footprint and the 16-Controller runs only: their timings are indicative.
/// </summary>
internal static class BenchCommand
{
    // A run that completed no request has NaN percentiles: written as "NaN".
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static async Task<int> RunAsync(string[] args)
    {
        string verb = args.Length > 1 ? args[1] : "";
        var options = Options.Parse(args.Skip(2).ToArray());
        return verb switch
        {
            "suite" => await SuiteAsync(options),
            "smoke" => await SmokeAsync(options),
            "scale" => await ScaleAsync(options),
            "gc" => await GcAsync(options),
            "report" => await ReportAsync(options),
            _ => Usage(),
        };
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: load suite|smoke|gc --build NAME=PATH ... (see bench/run.sh)");
        return 2;
    }

    private static async Task<int> SuiteAsync(Options o)
    {
        var started = DateTimeOffset.UtcNow;
        var results = new SuiteResults
        {
            Date = started.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            Machine = MachineDescription(),
            Command = o.Get("command", "bench/run.sh"),
            LoadAverageAtStart = BenchContext.LoadAverage(),
            Builds = o.Builds,
        };
        using var context = new BenchContext(TimeSpan.FromSeconds(o.Double("warmup", 1)), TimeSpan.FromSeconds(o.Double("seconds", 4)));
        results.WarmupSeconds = context.Warmup.TotalSeconds;
        results.MeasureSeconds = context.Measure.TotalSeconds;
        int[] counts = o.Ints("controllers", [1, 4, 16, 64]);
        string[] transports = o.Get("transports", "coap,coaps").Split(',', StringSplitOptions.RemoveEmptyEntries);
        int[] sizes = o.Ints("sizes", [10, 100, 1000, 10000]);
        double longIdle = o.Double("long-idle-minutes", 0);
        foreach (BuildUnderTest build in o.Builds)
        {
            Console.WriteLine($"== {build.Name} ({build.Binary}{(build.Emulated ? ", under qemu-user" : "")}), load average {BenchContext.LoadAverage():F2}");
            FootprintResult footprint = await FootprintScenario.RunAsync(context, build.Name, build.Binary, (int)o.Double("starts", 5),
                TimeSpan.FromSeconds(build.Emulated ? 5 : 2), longIdle > 0 ? TimeSpan.FromMinutes(longIdle) : null);
            results.Footprints.Add(footprint);
            Console.WriteLine($"  footprint: ready {footprint.ReadyMsMedian:F0} ms, idle VmRSS {footprint.IdleVmRssKb / 1024.0:F1} MB, RssAnon {footprint.IdleRssAnonKb / 1024.0:F1} MB");
            results.GetOnly.Add(Print(await LoadScenario.RunAsync(context, build.Name, build.Binary, secure: false, 16, getOnly: true)));
            if (build.Emulated)
            {
                continue;
            }

            foreach (string transport in transports)
            {
                foreach (int count in counts)
                {
                    results.Load.Add(Print(await LoadScenario.RunAsync(context, build.Name, build.Binary, transport == "coaps", count)));
                }
            }

            foreach (NotifyResult notify in await NotifyScenario.RunAsync(context, build.Name, build.Binary))
            {
                results.Notify.Add(notify);
                Console.WriteLine($"  notify ({notify.Source}): {notify.NotificationsPerSecond:F0}/s to {notify.Controllers} Controllers ({string.Join('/', notify.PerController)}), {notify.SetsPerSecond:F0} Sets/s");
            }
            if (sizes.Length > 0)
            {
                results.Scale.AddRange(await ScaleScenario.RunAsync(context, build.Name, build.Binary, sizes));
            }

            await SaveAsync(results, o, started); // what is measured so far survives an interrupted run
        }

        string outDir = await SaveAsync(results, o, started);
        if (o.Has("readme"))
        {
            BenchReport.UpdateReadme(results, o.Get("readme", ""));
        }

        Console.WriteLine($"wrote {outDir}/latest.md and its plots in {results.DurationSeconds:F0} s");
        return 0;
    }

    private static async Task<string> SaveAsync(SuiteResults results, Options o, DateTimeOffset started)
    {
        results.LoadAverageAtEnd = BenchContext.LoadAverage();
        results.DurationSeconds = (DateTimeOffset.UtcNow - started).TotalSeconds;
        string outDir = o.Get("out", "bench/results");
        Directory.CreateDirectory(outDir);
        await File.WriteAllTextAsync(Path.Combine(outDir, "latest.json"), JsonSerializer.Serialize(results, Json));
        BenchReport.Write(results, outDir);
        return outDir;
    }

    private static async Task<int> ReportAsync(Options o)
    {
        var runs = new List<SuiteResults>();
        foreach (string file in o.All("from"))
        {
            runs.Add(JsonSerializer.Deserialize<SuiteResults>(await File.ReadAllTextAsync(file), Json) ?? throw new InvalidDataException(file));
        }

        if (runs.Count == 0)
        {
            return Usage();
        }

        SuiteResults all = runs[0];
        foreach (SuiteResults more in runs.Skip(1))
        {
            all.Builds.AddRange(more.Builds.Where(b => all.Builds.All(x => x.Name != b.Name)));
            all.Footprints.AddRange(more.Footprints);
            all.Load.AddRange(more.Load);
            all.GetOnly.AddRange(more.GetOnly);
            all.Notify.AddRange(more.Notify);
            all.Scale.AddRange(more.Scale);
            all.LoadAverageAtEnd = more.LoadAverageAtEnd;
            all.DurationSeconds += more.DurationSeconds;
            all.Command += "; " + more.Command;
        }

        string outDir = o.Get("out", "bench/results");
        Directory.CreateDirectory(outDir);
        await File.WriteAllTextAsync(Path.Combine(outDir, "latest.json"), JsonSerializer.Serialize(all, Json));
        BenchReport.Write(all, outDir);
        if (o.Has("readme"))
        {
            BenchReport.UpdateReadme(all, o.Get("readme", ""));
        }

        return 0;
    }

    private static async Task<int> SmokeAsync(Options o)
    {
        using var context = new BenchContext(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(3));
        int failures = 0;
        foreach (BuildUnderTest build in o.Builds)
        {
            foreach (bool secure in new[] { false, true })
            {
                LoadResult r = Print(await LoadScenario.RunAsync(context, build.Name, build.Binary, secure, 2));
                if (r.Errors > 0 || r.PerOperation.Values.Any(s => s.Count == 0))
                {
                    failures++;
                }
            }
        }

        Console.WriteLine(failures == 0 ? "load generator smoke: ok" : $"load generator smoke: {failures} run(s) with errors or an operation never answered");
        return failures == 0 ? 0 : 1;
    }

    private static async Task<int> ScaleAsync(Options o)
    {
        using var context = new BenchContext(TimeSpan.Zero, TimeSpan.Zero);
        Console.WriteLine("| build | instances | Get Device. median / max (ms) | answer (KiB) | agent CPU per Get (ms) | VmHWM (MB) | Add, s per 100 rows | load avg |");
        Console.WriteLine("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (BuildUnderTest build in o.Builds)
        {
            foreach (ScaleRow r in await ScaleScenario.RunAsync(context, build.Name, build.Binary, o.Ints("sizes", [10, 100, 1000, 10000])))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Build} | {r.Instances:N0} | {r.MedianMs:F1} / {r.MaxMs:F1} | {r.ResponseBytes / 1024.0:F0} | {r.AgentCpuMsPerGet:F2} | {r.VmHwmKb / 1024.0:F1} | {r.AddSecondsPer100:F2} | {r.LoadAverage:F1} |"));
            }
        }
        return 0;
    }

    private static async Task<int> GcAsync(Options o)
    {
        using var context = new BenchContext(TimeSpan.FromSeconds(o.Double("warmup", 2)), TimeSpan.FromSeconds(o.Double("seconds", 5)));
        int controllers = (int)o.Double("controllers", 16);
        var lines = new List<string>
        {
            $"GC settings, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {MachineDescription()}",
            $"{controllers} Controllers over coap (the Get/Set/Get Device. mix, then Get Device.DeviceInfo. only), {context.Measure.TotalSeconds:F0} s each after {context.Warmup.TotalSeconds:F0} s",
            "",
            "| build | settings | idle VmRSS / RssAnon (MB) | mix: VmHWM (MB) | mix: req/s | mix: CPU/req (µs) | Get only: VmHWM (MB) | Get only: CPU/Get (µs) | p99 Get (ms) | load avg |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        };
        foreach (BuildUnderTest build in o.Builds)
        {
            foreach (string variant in o.All("variant").DefaultIfEmpty("none="))
            {
                int eq = variant.IndexOf('=');
                string label = variant[..eq];
                var env = variant[(eq + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries)
                    .ToDictionary(kv => kv[..kv.IndexOf('=')], kv => kv[(kv.IndexOf('=') + 1)..]);
                FootprintResult idle = await FootprintScenario.RunAsync(context, build.Name, build.Binary, 3, TimeSpan.FromSeconds(2), null, env);
                LoadResult mix = Print(await LoadScenario.RunAsync(context, build.Name, build.Binary, false, controllers, environment: env));
                LoadResult get = Print(await LoadScenario.RunAsync(context, build.Name, build.Binary, false, controllers, getOnly: true, environment: env));
                string line = string.Create(CultureInfo.InvariantCulture,
                    $"| {build.Name} | {label} | {idle.IdleVmRssKb / 1024.0:F1} / {idle.IdleRssAnonKb / 1024.0:F1} | {mix.VmHwmKb / 1024.0:F1} | {mix.RequestsPerSecond:F0} | {mix.AgentCpuMicrosPerRequest:F0} | {get.VmHwmKb / 1024.0:F1} | {get.AgentCpuMicrosPerRequest:F0} | {get.All.P99:F1} | {get.LoadAverage:F1} |");
                Console.WriteLine(line);
                lines.Add(line);
            }
        }

        if (o.Has("out"))
        {
            await File.WriteAllLinesAsync(o.Get("out", ""), lines);
        }

        return 0;
    }

    private static LoadResult Print(LoadResult r)
    {
        string error = r.FirstError is null ? "" : " (" + r.FirstError + ")";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {r.Build} {r.Transport} x{r.Controllers}: {r.RequestsPerSecond:F0} req/s, p50 {r.All.P50:F2} p90 {r.All.P90:F2} p99 {r.All.P99:F2} max {r.All.Max:F1} ms, errors {r.Errors}{error}, agent {r.AgentCpuMicrosPerRequest:F0} µs CPU/req, VmHWM {r.VmHwmKb / 1024.0:F1} MB, load {r.LoadAverage:F1}"));
        return r;
    }

    public static string MachineDescription()
    {
        string model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        string memory = File.ReadLines("/proc/meminfo").First().Split(':', 2)[1].Trim();
        long memKb = long.Parse(memory.Split(' ')[0], CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"{model}, {Environment.ProcessorCount} cores, {memKb / 1024.0 / 1024:F0} GiB, Linux {Environment.OSVersion.Version}");
    }

    private sealed class Options
    {
        private readonly List<(string Key, string Value)> _values = [];

        public List<BuildUnderTest> Builds => All("build").Select(b => new BuildUnderTest(b[..b.IndexOf('=')], Path.GetFullPath(b[(b.IndexOf('=') + 1)..]))).ToList();

        public static Options Parse(string[] args)
        {
            var o = new Options();
            for (int i = 0; i < args.Length; i++)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new ArgumentException($"unexpected argument '{args[i]}'");
                }

                string key = args[i][2..];
                string value = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
                o._values.Add((key, value));
            }

            return o;
        }

        public bool Has(string key) => _values.Any(v => v.Key == key);

        public IEnumerable<string> All(string key) => _values.Where(v => v.Key == key).Select(v => v.Value);

        public string Get(string key, string fallback) => All(key).LastOrDefault() ?? fallback;

        public double Double(string key, double fallback) => Has(key) ? double.Parse(Get(key, ""), CultureInfo.InvariantCulture) : fallback;

        public int[] Ints(string key, int[] fallback) => Has(key)
            ? Get(key, "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
            : fallback;
    }
}

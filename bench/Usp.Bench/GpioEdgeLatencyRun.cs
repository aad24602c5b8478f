using System.Diagnostics;
using System.Globalization;

namespace Usp.Bench;

/// <summary>
/// The GPIO edge → Notify latency as a distribution (BenchmarkDotNet reports means): toggles the simulated button
/// <c>count</c> times, one edge at a time, and prints p50/p90/p99/max and how many edges got no Notify within 5 s.
/// </summary>
internal static class GpioEdgeLatencyRun
{
    public static async Task RunAsync(string[] args)
    {
        int count = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
        var bench = new GpioEdgeNotifyLatencyBenchmarks();
        bench.Setup();
        Console.WriteLine("set up");
        var samples = new List<double>(count);
        int missed = 0;
        try
        {
            for (int i = 0; i < count; i++)
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    await bench.EdgeToNotify().WaitAsync(TimeSpan.FromSeconds(5));
                    samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                catch (TimeoutException)
                {
                    missed++;
                }
            }
        }
        finally
        {
            bench.Cleanup();
        }

        samples.Sort();
        double At(double q) => samples.Count == 0 ? double.NaN : samples[Math.Min(samples.Count - 1, (int)(q * samples.Count))];
        Console.WriteLine(FormattableString.Invariant(
            $"GPIO edge -> Notify (simulated board, {count} edges): p50 {At(0.50):F3} ms, p90 {At(0.90):F3} ms, p99 {At(0.99):F3} ms, max {At(1):F3} ms, no Notify within 5 s: {missed}; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
    }
}

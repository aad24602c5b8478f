using BenchmarkDotNet.Running;

// Runs the micro-benchmarks chosen on the command line, e.g.
//   dotnet run -c Release --project bench/Usp.Bench -- --filter '*RecordCodec*'
// DTLS handshake and round-trip figures (not BenchmarkDotNet): dotnet run -c Release --project bench/Usp.Bench -- dtls
if (args.Length > 0 && args[0] == "dtls")
{
    await Usp.Bench.DtlsBench.RunAsync(args);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Usp.Bench.RecordCodecBenchmarks).Assembly).Run(args);

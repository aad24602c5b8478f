using BenchmarkDotNet.Running;

// Runs the micro-benchmarks chosen on the command line, e.g.
//   dotnet run -c Release --project bench/Usp.Bench -- --filter '*RecordCodec*'
// DTLS handshake and round-trip figures (not BenchmarkDotNet): dotnet run -c Release --project bench/Usp.Bench -- dtls
// The load generator behind bench/run.sh: dotnet bench/Usp.Bench/bin/Release/net10.0/Usp.Bench.dll load suite|smoke|gc ...
if (args.Length > 0 && args[0] == "load")
{
    return await Usp.Bench.Load.BenchCommand.RunAsync(args);
}

// GPIO edge -> Notify latency distribution: dotnet run -c Release --project bench/Usp.Bench -- gpio-latency [edges]
if (args.Length > 0 && args[0] == "gpio-latency")
{
    await Usp.Bench.GpioEdgeLatencyRun.RunAsync(args);
    return 0;
}

// How Add, factory defaults and Get grow with a table's size (the engine alone):
//   dotnet run -c Release --project bench/Usp.Bench -- engine-scale [100,1000,10000]
if (args.Length > 0 && args[0] == "engine-scale")
{
    return Usp.Bench.EngineScaleRun.Run(args);
}

if (args.Length > 0 && args[0] == "dtls")
{
    await Usp.Bench.DtlsBench.RunAsync(args);
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(Usp.Bench.RecordCodecBenchmarks).Assembly).Run(args);
return 0;

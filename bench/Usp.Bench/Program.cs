using BenchmarkDotNet.Running;

// Runs the micro-benchmarks chosen on the command line, e.g.
//   dotnet run -c Release --project bench/Usp.Bench -- --filter '*RecordCodec*'
BenchmarkSwitcher.FromAssembly(typeof(Usp.Bench.RecordCodecBenchmarks).Assembly).Run(args);

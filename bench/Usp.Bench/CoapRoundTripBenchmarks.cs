using System.Diagnostics;
using System.Net;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Usp.Agent.Coap;

namespace Usp.Bench;

/// <summary>
/// CON request/response round trips on UDP loopback against our CoAP server; the Op/s column is round trips per second.
///   dotnet run -c Release --project bench/Usp.Bench -- --filter '*CoapRoundTrip*'
/// The libcoap case POSTs 64 KiB in 16-byte Block1 blocks from one coap-client-notls process: each block is one
/// CON round trip (2.31 Continue), so process start-up is spread over 4096 round trips.
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
[Config(typeof(RoundTripsPerSecond))]
public class CoapRoundTripBenchmarks
{
    private sealed class RoundTripsPerSecond : ManualConfig
    {
        public RoundTripsPerSecond() => AddColumn(StatisticColumn.OperationsPerSecond);
    }

    private const int Peers = 16;
    private const int LibcoapRoundTrips = 64 * 1024 / 16;

    private CoapEndpoint _serverEndpoint = null!;
    private readonly List<CoapEndpoint> _clientEndpoints = [];
    private readonly List<CoapClient> _clients = [];
    private CoapRequest _request = null!;
    private string _payloadFile = string.Empty;
    private string _uri = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _serverEndpoint = CoapEndpoint.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
        var server = new CoapServer(_serverEndpoint);
        server.AddResource(new CoapResource("e/agent", (_, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Changed))));
        _serverEndpoint.Start();
        for (int i = 0; i < Peers; i++)
        {
            var endpoint = CoapEndpoint.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
            endpoint.Start();
            _clientEndpoints.Add(endpoint);
            _clients.Add(new CoapClient(endpoint));
        }
        _request = new CoapRequest(CoapMethod.Post, _serverEndpoint.LocalEndPoint) { Payload = new byte[200], ContentFormat = CoapContentFormat.OctetStream };
        _request.SetPath("e/agent");
        _payloadFile = Path.Combine(Path.GetTempPath(), $"coap-bench-{Environment.ProcessId}.bin");
        File.WriteAllBytes(_payloadFile, new byte[LibcoapRoundTrips * 16]);
        _uri = $"coap://127.0.0.1:{_serverEndpoint.LocalEndPoint.Port}/e/agent";
    }

    [Benchmark(Description = "our client -> our server, 1 CON round trip")]
    public async Task<CoapCode> OurClientToOurServer() => (await _clients[0].SendAsync(_request)).Code;

    [Benchmark(OperationsPerInvoke = Peers, Description = "16 of our clients in parallel -> our server, per CON round trip")]
    public async Task SixteenPeersInParallel()
    {
        var sends = new Task<CoapResponse>[Peers];
        for (int i = 0; i < Peers; i++)
        {
            sends[i] = _clients[i].SendAsync(_request);
        }
        await Task.WhenAll(sends);
    }

    [Benchmark(OperationsPerInvoke = LibcoapRoundTrips, Description = "libcoap coap-client -> our server, per CON round trip (Block1)")]
    public void LibcoapClientToOurServer()
    {
        var info = new ProcessStartInfo("coap-client-notls") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "-m", "post", "-b", "16", "-t", "42", "-f", _payloadFile, "-B", "60", _uri })
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (output.Contains("4.", StringComparison.Ordinal) || output.Contains("5.", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("coap-client-notls failed: " + output);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var endpoint in _clientEndpoints)
        {
            endpoint.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        _serverEndpoint.DisposeAsync().AsTask().GetAwaiter().GetResult();
        File.Delete(_payloadFile);
    }
}

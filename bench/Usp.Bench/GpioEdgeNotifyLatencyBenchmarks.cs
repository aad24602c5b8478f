using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Usp.DataModel;
using Usp.DataModel.Notifications;
using Usp.Hal;
using Usp.Hal.Config;
using Usp.Hal.Simulation;

namespace Usp.Bench;

/// <summary>
/// Latency from a GPIO edge on the simulated board to the ValueChange Notify Record leaving the engine (handed to
/// the MTP's sender): the edge callback, the BinarySensor's report, the engine's ValueChange check, the outbox and
/// the notification loop's wake-up, the Msg and Record encoding. The button on line 27 is toggled from outside
/// each operation; a Controller is subscribed to its Value.
/// </summary>
[MemoryDiagnoser]
public class GpioEdgeNotifyLatencyBenchmarks
{
    private string _dataDirectory = "";
    private UspEngine _engine = null!;
    private HalRuntime _hal = null!;
    private SimulatedBackend _backend = null!;
    private readonly CancellationTokenSource _stop = new();
    private readonly SignallingSender _sender = new();
    private Task _loop = Task.CompletedTask;
    private bool _level;

    [GlobalSetup]
    public void Setup()
    {
        _dataDirectory = Path.Combine(Path.GetTempPath(), "usp-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dataDirectory);
        var defaults = Path.Combine(_dataDirectory, "defaults.txt");
        File.WriteAllText(defaults, """
            Device.LocalAgent.Controller.1.EndpointID "proto::bench-controller"
            Device.LocalAgent.Controller.1.Enable "true"
            Device.LocalAgent.Controller.1.OnBoardingComplete "true"
            Device.LocalAgent.Controller.1.MTP.1.Enable "true"
            Device.LocalAgent.Controller.1.MTP.1.Protocol "CoAP"
            Device.LocalAgent.Controller.1.MTP.1.CoAP.Host "127.0.0.1"
            Device.LocalAgent.Controller.1.MTP.1.CoAP.Port "5690"
            Device.LocalAgent.Subscription.1.Enable "true"
            Device.LocalAgent.Subscription.1.Persistent "true"
            Device.LocalAgent.Subscription.1.ID "edge"
            Device.LocalAgent.Subscription.1.NotifType "ValueChange"
            Device.LocalAgent.Subscription.1.ReferenceList "Device.IoTCapability.2.BinarySensor.Value"
            Device.LocalAgent.Subscription.1.Recipient "Device.LocalAgent.Controller.1"
            """);
        var settings = HalSettings.SimulatedDemo with { Devices = [.. HalSettings.SimulatedDemo.Devices.Take(2)] };
        _backend = new SimulatedBackend(settings, TimeProvider.System);
        _hal = new HalRuntime(settings, _backend, TimeProvider.System, NullLoggerFactory.Instance);
        _engine = UspEngine.Open(new UspEngineOptions
        {
            DataDirectory = _dataDirectory,
            FactoryDefaultsPath = defaults,
            EndpointId = "proto::bench-agent",
            Areas = [_hal.Area],
            OutboundSender = _sender,
            AccessPolicy = new Usp.DataModel.Security.FullAccessPolicy(),
            Log = Environment.GetEnvironmentVariable("USP_BENCH_LOG") == "1" ? new ConsoleEngineLog() : new NullEngineLog(),
        });
        _hal.Start(_engine, _stop.Token);
        _loop = Task.Run(() => _engine.Notifications.RunAsync(_stop.Token));
        EdgeToNotify().GetAwaiter().GetResult();   // the Boot! and the first change are out of the way
    }

    [Benchmark]
    public async Task EdgeToNotify()
    {
        var sent = _sender.Next();
        _level = !_level;
        _backend.Gpio.DriveExternally(27, _level ? System.Device.Gpio.PinValue.High : System.Device.Gpio.PinValue.Low);
        await sent.ConfigureAwait(false);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop.Cancel();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _hal.Dispose();
        _engine.Dispose();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    private sealed class ConsoleEngineLog : IEngineLog
    {
        public void Info(string message) => Console.WriteLine("info: " + message);
        public void Warning(string message) => Console.WriteLine("warn: " + message);
        public void Error(string message) => Console.WriteLine("error: " + message);
    }

    /// <summary>Completes the pending task when a Record is handed over for delivery.</summary>
    private sealed class SignallingSender : IOutboundRecordSender
    {
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Next()
        {
            var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _next, next);
            return next.Task;
        }

        public ValueTask<DeliveryResult> SendAsync(string controllerEndpointId, ReadOnlyMemory<byte> record, CancellationToken cancellationToken)
        {
            if (Environment.GetEnvironmentVariable("USP_BENCH_LOG") == "1")
                Console.WriteLine($"send to {controllerEndpointId}: {record.Length} bytes");
            Volatile.Read(ref _next).TrySetResult();
            return ValueTask.FromResult(DeliveryResult.Delivered);
        }
    }
}

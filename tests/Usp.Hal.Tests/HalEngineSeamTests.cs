using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Usp.DataModel.Schema;
using Usp.Hal.Config;
using Usp.Hal.Devices;
using Usp.Hal.Exposure;
using Usp.Hal.Sampling;
using Usp.Tests.Support;

namespace Usp.Hal.Tests;

public sealed class HalEngineSeamTests
{
    private static HalSettings RelayAndButton(params HalDeviceConfig[] more) => new()
    {
        Devices =
        [
            new() { Key = "t:0", Name = "relay", Kind = HalDeviceKind.GpioOutput, Line = "17" },
            new() { Key = "t:1", Name = "button", Kind = HalDeviceKind.GpioInput, Line = "27", Bias = GpioBias.PullDown, CapabilityType = "DoorOpen" },
            .. more,
        ],
        SimulatedWires = [(17, 27)],
    };

    [Fact]
    public async Task SettingBinaryControlDrivesTheLoopedBackSensorWhichNotifiesValueChange()
    {
        using var a = new HalTestAgent(RelayAndButton(), ["Device.IoTCapability.2.BinarySensor.Value"]);
        Assert.Equal("BinaryControl", a.Engine.GetValue("Device.IoTCapability.1.Class"));
        Assert.Equal("false", a.Engine.GetValue("Device.IoTCapability.2.BinarySensor.Value"));
        await a.Engine.Notifications.PumpAsync();

        Assert.Null(a.Engine.SetInternal("Device.IoTCapability.1.BinaryControl.Value", "true"));

        var change = await a.WaitForValueChangeAsync("Device.IoTCapability.2.BinarySensor.Value", "true");
        Assert.Equal("true", change.ParamValue);
        Assert.Equal(System.Device.Gpio.PinValue.High, a.Backend!.Gpio.ReadLine(17));
    }

    [Fact]
    public async Task GpioLinesThatCannotBeOpenedAtStartAreOpenedOnceTheChipLetsThem()
    {
        var time = new ManualTimeProvider();
        using var a = new HalTestAgent(RelayAndButton(), ["Device.IoTCapability.2.BinarySensor.Value"], time: time,
            prepare: backend => backend.LinesUnavailable = "permission denied (udev has not yet given the gpio group access)");
        int Logged(string text) => a.Logs.Lines.Count(l => l.Contains(text, StringComparison.Ordinal));
        Assert.Equal(2, Logged("is not available: permission denied"));

        // Retries while the chip still refuses log nothing more.
        for (int i = 0; i < 8; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }

        Assert.Equal(2, Logged("is not available"));
        Assert.Equal(0, Logged("is available now"));

        // The chip lets the agent in: each line opens at its next retry (the clock moves a second per look).
        a.Backend!.LinesUnavailable = null;
        await a.WaitUntilAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return Logged("is available now") == 2;
        }, "both lines open");
        await a.Engine.Notifications.PumpAsync();

        Assert.Null(a.Engine.SetInternal("Device.IoTCapability.1.BinaryControl.Value", "true"));
        await a.WaitForValueChangeAsync("Device.IoTCapability.2.BinarySensor.Value", "true");
        Assert.Equal(System.Device.Gpio.PinValue.High, a.Backend.Gpio.ReadLine(17));
    }

    [Fact]
    public async Task AnEdgeFromOutsideIsReportedWithoutWaitingForAPoll()
    {
        using var a = new HalTestAgent(RelayAndButton(), ["Device.IoTCapability.2.BinarySensor."]);
        await a.Engine.Notifications.PumpAsync();

        a.Backend!.Gpio.DriveExternally(27, System.Device.Gpio.PinValue.High);

        await a.WaitForValueChangeAsync("Device.IoTCapability.2.BinarySensor.Value", "true");
        Assert.NotEqual("0001-01-01T00:00:00Z", a.Engine.GetValue("Device.IoTCapability.2.BinarySensor.LastChange"));
    }

    [Fact]
    public void RowsKeepTheirInstanceNumbersAcrossStartsAndFollowTheConfiguration()
    {
        string dir = HalTestAgent.NewDirectory();
        try
        {
            using (var a = new HalTestAgent(RelayAndButton(), [], dir))
            {
                Assert.Null(a.Engine.SetInternal("Device.IoTCapability.2.Name", "front door"));
            }
            var withoutRelay = RelayAndButton() with { Devices = [RelayAndButton().Devices[1]], SimulatedWires = [] };
            using (var b = new HalTestAgent(withoutRelay, [], dir))
            {
                Assert.Null(b.Engine.GetValue("Device.IoTCapability.1.Class"));   // the relay's row is gone
                Assert.Equal("cpe-button", b.Engine.GetValue("Device.IoTCapability.2.Alias"));
                Assert.Equal("front door", b.Engine.GetValue("Device.IoTCapability.2.Name"));   // a Controller's write is kept
                Assert.Equal("1", b.Engine.GetValue("Device.IoTCapabilityNumberOfEntries"));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task ASlowSensorReadNeverHoldsUpAGet()
    {
        using var release = new ManualResetEventSlim();
        var entered = new ManualResetEventSlim();
        var monitor = new SensorMonitor("slow", [SensorChannel.Temperature], () => new BlockingSensor(entered, release, 21.5),
            TimeSpan.FromMilliseconds(50), TimeProvider.System, NullLogger.Instance);
        var level = new LevelSensorBinding("slow", "", monitor, 0);
        monitor.Updated += level.OnUpdated;
        var area = new HalDataModelArea([level], []);
        using var a = new HalTestAgent(null, [], areas: [area]);
        using var stop = new CancellationTokenSource();
        var loop = Task.Run(() => monitor.RunAsync(stop.Token));

        Assert.True(entered.Wait(TimeSpan.FromSeconds(10)), "the poll loop never read the sensor");
        // The device is now stuck in a bus transfer; the engine still answers at once from the cache.
        var watch = Stopwatch.StartNew();
        Assert.Equal("0", a.Engine.GetValue("Device.IoTCapability.1.LevelSensor.Value"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"a Get waited {watch.Elapsed} for the bus");

        release.Set();
        await a.WaitUntilAsync(() => a.Engine.GetValue("Device.IoTCapability.1.LevelSensor.Value") == "21.5", "the reading to reach the cache");
        await stop.CancelAsync();
        await loop;
    }

    private sealed class BlockingSensor(ManualResetEventSlim entered, ManualResetEventSlim release, double value) : ISensorDevice
    {
        public IReadOnlyList<SensorChannel> Channels { get; } = [SensorChannel.Temperature];

        public void Read(Span<double> values)
        {
            entered.Set();
            release.Wait();
            values[0] = value;
        }

        public void Dispose()
        {
        }
    }
}

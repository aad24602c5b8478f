using Usp.Hal.Config;

namespace Usp.Hal.Tests;

public sealed class SensorExposureTests
{
    private static HalSettings Climate(int highAlarm) => new()
    {
        Devices = [new() { Key = "t:0", Name = "climate", Kind = HalDeviceKind.Bme280, Bus = 1, Address = 0x76, HighAlarm = highAlarm, PollInterval = TimeSpan.FromMilliseconds(50) }],
    };

    private const string Sensor = "Device.DeviceInfo.TemperatureStatus.TemperatureSensor.1.";

    [Fact]
    public async Task ASensorCrossingItsHighAlarmValueNotifiesTheAlarmTime()
    {
        using var a = new HalTestAgent(Climate(highAlarm: 30), [Sensor + "HighAlarmTime", Sensor + "Value"],
            prepare: b => b.Signals.Override("climate.temperature", 24.0));
        await a.WaitUntilAsync(() => a.Engine.GetValue(Sensor + "Value") == "24", "the first reading");
        await a.Engine.Notifications.PumpAsync();
        Assert.Equal("0001-01-01T00:00:00Z", a.Engine.GetValue(Sensor + "HighAlarmTime"));
        Assert.Equal("Enabled", a.Engine.GetValue(Sensor + "Status"));

        a.Backend!.Signals.Override("climate.temperature", 31.2);

        await a.WaitForValueChangeAsync(Sensor + "Value", "31");
        string alarmTime = a.Engine.GetValue(Sensor + "HighAlarmTime")!;
        Assert.NotEqual("0001-01-01T00:00:00Z", alarmTime);
        await a.WaitForValueChangeAsync(Sensor + "HighAlarmTime", alarmTime);
        Assert.Equal("31", a.Engine.GetValue(Sensor + "MaxValue"));
        Assert.Equal("24", a.Engine.GetValue(Sensor + "MinValue"));
    }

    [Fact]
    public async Task LevelSensorShowsUnitAndRaisesHighLevelWhenAboveItsThreshold()
    {
        using var a = new HalTestAgent(Climate(highAlarm: 50), ["Device.IoTCapability.1.LevelSensor.HighLevel"],
            prepare: b => b.Signals.Override("climate.temperature", 22.5));
        await a.WaitUntilAsync(() => a.Engine.GetValue("Device.IoTCapability.1.LevelSensor.Value") == "22.5", "the first reading");
        Assert.Equal("degC", a.Engine.GetValue("Device.IoTCapability.1.LevelSensor.Unit"));
        Assert.Equal("Temperature", a.Engine.GetValue("Device.IoTCapability.1.LevelSensor.Type"));
        Assert.Equal("%", a.Engine.GetValue("Device.IoTCapability.2.LevelSensor.Unit"));
        Assert.Equal("Pa", a.Engine.GetValue("Device.IoTCapability.3.LevelSensor.Unit"));
        await a.Engine.Notifications.PumpAsync();

        Assert.Null(a.Engine.SetInternal("Device.IoTCapability.1.LevelSensor.HighLevelThreshold", "25"));
        a.Backend!.Signals.Override("climate.temperature", 26);

        await a.WaitForValueChangeAsync("Device.IoTCapability.1.LevelSensor.HighLevel", "true");
    }

    [Fact]
    public async Task AFailingDeviceShowsErrorWithOneLogLineAndRecoversByItself()
    {
        using var a = new HalTestAgent(Climate(highAlarm: 50), [Sensor + "Status"]);
        await a.WaitUntilAsync(() => a.Engine.GetValue(Sensor + "Value") != "-274", "the first reading");
        await a.Engine.Notifications.PumpAsync();
        var chip = a.Backend!.Chip(1, 0x76)!;

        chip.Present = false;   // no ACK
        await a.WaitForValueChangeAsync(Sensor + "Status", "Error");
        await Task.Delay(300);   // several more failed polls
        Assert.Single(a.Logs.Lines, l => l.Contains("climate failed", StringComparison.Ordinal));
        Assert.Contains(a.Logs.Lines, l => l.Contains("no ACK from 0x76", StringComparison.Ordinal));
        string lastContact = a.Engine.GetValue("Device.IoTCapability.1.LevelSensor.LastContactTime")!;

        chip.Present = true;
        await a.WaitForValueChangeAsync(Sensor + "Status", "Enabled");
        Assert.Single(a.Logs.Lines, l => l.Contains("climate answers again", StringComparison.Ordinal));
        await a.WaitUntilAsync(() => a.Engine.GetValue("Device.IoTCapability.1.LevelSensor.LastContactTime") != lastContact, "a new contact time");
    }
}

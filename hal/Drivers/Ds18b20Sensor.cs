using Iot.Device.OneWire;
using Usp.Hal.Devices;

namespace Usp.Hal.Drivers;

/// <summary>DS18B20 through Iot.Device.OneWire, which reads the kernel's w1 sysfs (/sys/bus/w1/devices): temperature (°C).</summary>
public sealed class Ds18b20Sensor(string busId, string deviceId) : ISensorDevice
{
    private readonly OneWireThermometerDevice _driver = new(busId, deviceId);

    public static IReadOnlyList<SensorChannel> ChannelList { get; } = [SensorChannel.Temperature];

    public IReadOnlyList<SensorChannel> Channels => ChannelList;

    public void Read(Span<double> values)
    {
        if (!Directory.Exists($"/sys/bus/w1/devices/{deviceId}"))
            throw new HalDeviceUnavailableException($"1-Wire device {deviceId} is not in /sys/bus/w1/devices (is the w1-gpio overlay and w1_therm loaded?)");
        values[0] = _driver.ReadTemperature().DegreesCelsius;
    }

    public void Dispose()
    {
    }
}

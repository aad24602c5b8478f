using System.Device.I2c;
using Iot.Device.Bmxx80;
using Usp.Hal.Devices;

namespace Usp.Hal.Drivers;

/// <summary>BMP280 through Iot.Device.Bmxx80: temperature (°C) and pressure (Pa).</summary>
public sealed class Bmp280Sensor(I2cDevice i2c) : ISensorDevice
{
    private readonly Bmp280 _driver = new(i2c)
    {
        TemperatureSampling = Iot.Device.Bmxx80.Sampling.Standard,
        PressureSampling = Iot.Device.Bmxx80.Sampling.Standard,
    };

    public static IReadOnlyList<SensorChannel> ChannelList { get; } = [SensorChannel.Temperature, SensorChannel.Pressure];

    public IReadOnlyList<SensorChannel> Channels => ChannelList;

    public void Read(Span<double> values)
    {
        var r = _driver.Read();
        values[0] = r.Temperature?.DegreesCelsius ?? throw new IOException("no temperature reading");
        values[1] = r.Pressure?.Pascals ?? throw new IOException("no pressure reading");
    }

    public void Dispose() => _driver.Dispose();
}

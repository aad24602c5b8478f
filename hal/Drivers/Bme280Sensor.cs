using System.Device.I2c;
using Iot.Device.Bmxx80;
using Usp.Hal.Devices;

namespace Usp.Hal.Drivers;

/// <summary>BME280 through Iot.Device.Bmxx80: forced-mode reads of temperature (°C), humidity (%) and pressure (Pa).</summary>
public sealed class Bme280Sensor(I2cDevice i2c) : ISensorDevice
{
    private readonly Bme280 _driver = new(i2c)
    {
        TemperatureSampling = Iot.Device.Bmxx80.Sampling.Standard,
        PressureSampling = Iot.Device.Bmxx80.Sampling.Standard,
        HumiditySampling = Iot.Device.Bmxx80.Sampling.Standard,
    };

    public static IReadOnlyList<SensorChannel> ChannelList { get; } = [SensorChannel.Temperature, SensorChannel.Humidity, SensorChannel.Pressure];

    public IReadOnlyList<SensorChannel> Channels => ChannelList;

    public void Read(Span<double> values)
    {
        var r = _driver.Read();
        values[0] = r.Temperature?.DegreesCelsius ?? throw new IOException("no temperature reading");
        values[1] = r.Humidity?.Percent ?? throw new IOException("no humidity reading");
        values[2] = r.Pressure?.Pascals ?? throw new IOException("no pressure reading");
    }

    public void Dispose() => _driver.Dispose();
}

using System.Device.I2c;
using Iot.Device.Bh1750fvi;
using Usp.Hal.Devices;

namespace Usp.Hal.Drivers;

/// <summary>BH1750FVI through Iot.Device.Bh1750fvi: illuminance (lx), continuous high-resolution mode.</summary>
public sealed class Bh1750Sensor(I2cDevice i2c) : ISensorDevice
{
    private readonly Bh1750fvi _driver = new(i2c, MeasuringMode.ContinuouslyHighResolutionMode);

    public static IReadOnlyList<SensorChannel> ChannelList { get; } = [SensorChannel.Illuminance];

    public IReadOnlyList<SensorChannel> Channels => ChannelList;

    public void Read(Span<double> values) => values[0] = _driver.Illuminance.Lux;

    public void Dispose() => _driver.Dispose();
}

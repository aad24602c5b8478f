using System.Device.I2c;
using Iot.Device.Ads1115;
using Usp.Hal.Devices;

namespace Usp.Hal.Drivers;

/// <summary>ADS1115 through Iot.Device.Ads1115: one single-ended input (AINn against GND) in volts, single-shot.</summary>
public sealed class Ads1115Sensor(I2cDevice i2c, int channel, double fullScaleVolts) : ISensorDevice
{
    private readonly Ads1115 _driver = new(i2c, Input(channel), Range(fullScaleVolts), DataRate.SPS128, DeviceMode.PowerDown);

    public static IReadOnlyList<SensorChannel> ChannelList { get; } = [SensorChannel.Voltage];

    public IReadOnlyList<SensorChannel> Channels => ChannelList;

    public void Read(Span<double> values) => values[0] = _driver.ReadVoltage().Volts;

    public static InputMultiplexer Input(int channel) => channel switch
    {
        0 => InputMultiplexer.AIN0,
        1 => InputMultiplexer.AIN1,
        2 => InputMultiplexer.AIN2,
        3 => InputMultiplexer.AIN3,
        _ => throw new ArgumentOutOfRangeException(nameof(channel), "ADS1115 inputs are 0 to 3."),
    };

    public static MeasuringRange Range(double volts) => volts switch
    {
        6.144 => MeasuringRange.FS6144,
        4.096 => MeasuringRange.FS4096,
        2.048 => MeasuringRange.FS2048,
        1.024 => MeasuringRange.FS1024,
        0.512 => MeasuringRange.FS0512,
        0.256 => MeasuringRange.FS0256,
        _ => throw new ArgumentOutOfRangeException(nameof(volts), "ADS1115 ranges are 6.144, 4.096, 2.048, 1.024, 0.512 and 0.256 V."),
    };

    public void Dispose() => _driver.Dispose();
}

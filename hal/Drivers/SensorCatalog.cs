using Usp.Hal.Config;
using Usp.Hal.Devices;

namespace Usp.Hal.Drivers;

/// <summary>
/// The sensor kinds the HAL knows: what each measures (known before the device answers, so its rows exist while it
/// is missing) and how its adapter is opened. Adding an Iot.Device.Bindings driver is one adapter class, one line
/// here and one <see cref="HalDeviceKind"/> name. A kind's driver is only loaded when a device of that kind is
/// configured.
/// </summary>
public static class SensorCatalog
{
    public static IReadOnlyList<SensorChannel> Channels(HalDeviceKind kind) => kind switch
    {
        HalDeviceKind.Bme280 => Bme280Sensor.ChannelList,
        HalDeviceKind.Bmp280 => Bmp280Sensor.ChannelList,
        HalDeviceKind.Sht3x => Sht3xSensor.ChannelList,
        HalDeviceKind.Bh1750 => Bh1750Sensor.ChannelList,
        HalDeviceKind.Ads1115 => Ads1115Sensor.ChannelList,
        HalDeviceKind.Ds18b20 => Ds18b20Sensor.ChannelList,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), $"{kind} is not a polled sensor."),
    };

    public static ISensorDevice Open(HalDeviceConfig d, IHalBackend backend) => d.Kind switch
    {
        HalDeviceKind.Bme280 => new Bme280Sensor(backend.OpenI2c(d.Bus, d.Address)),
        HalDeviceKind.Bmp280 => new Bmp280Sensor(backend.OpenI2c(d.Bus, d.Address)),
        HalDeviceKind.Sht3x => new Sht3xSensor(backend.OpenI2c(d.Bus, d.Address)),
        HalDeviceKind.Bh1750 => new Bh1750Sensor(backend.OpenI2c(d.Bus, d.Address)),
        HalDeviceKind.Ads1115 => new Ads1115Sensor(backend.OpenI2c(d.Bus, d.Address), d.Channel, d.FullScaleVolts),
        HalDeviceKind.Ds18b20 => new Ds18b20Sensor(d.OneWireBus!, d.OneWireDevice!),
        _ => throw new ArgumentOutOfRangeException(nameof(d), $"{d.Kind} is not a polled sensor."),
    };
}

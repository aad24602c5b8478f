namespace Usp.Hal.Config;

/// <summary>What a configured device is; its <c>Type</c> in <c>Hal:Devices</c>.</summary>
public enum HalDeviceKind
{
    /// <summary><c>gpio-output</c>: a line the agent drives (relay, LED) → BinaryControl.</summary>
    GpioOutput,
    /// <summary><c>gpio-input</c>: a line the agent watches for edges (button, reed contact) → BinarySensor.</summary>
    GpioInput,
    /// <summary><c>bme280</c>: Bosch BME280 temperature, humidity, pressure on I2C (Iot.Device.Bmxx80).</summary>
    Bme280,
    /// <summary><c>bmp280</c>: Bosch BMP280 temperature, pressure on I2C (Iot.Device.Bmxx80).</summary>
    Bmp280,
    /// <summary><c>sht3x</c>: Sensirion SHT3x temperature, humidity on I2C (Iot.Device.Sht3x).</summary>
    Sht3x,
    /// <summary><c>bh1750</c>: ROHM BH1750FVI ambient light on I2C (Iot.Device.Bh1750fvi).</summary>
    Bh1750,
    /// <summary><c>ads1115</c>: TI ADS1115 16-bit ADC on I2C, one input (Iot.Device.Ads1115).</summary>
    Ads1115,
    /// <summary><c>ds18b20</c>: Maxim DS18B20 1-Wire thermometer through the kernel's w1 sysfs (Iot.Device.OneWire).</summary>
    Ds18b20,
}

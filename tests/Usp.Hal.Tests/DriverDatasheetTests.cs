using System.Device.I2c;
using Iot.Device.Ads1115;
using Usp.Hal.Drivers;
using Usp.Hal.Simulation;

namespace Usp.Hal.Tests;

/// <summary>
/// Each supported Iot.Device.Bindings driver run on the bus-level simulator, against the worked examples of the
/// chips' datasheets where they give one.
/// </summary>
public sealed class DriverDatasheetTests
{
    private static SimulatedI2cDevice Bus(I2cChipEmulator chip, int address) => new(new I2cConnectionSettings(1, address), chip);

    [Fact]
    public void Bmp280DatasheetCompensationExample()
    {
        // BMP280 datasheet §3.12: dig_T1..T3, dig_P1..P9 as in ExampleCalibration, adc_T = 519888, adc_P = 415148
        // give T = 25.08 °C and p = 100653.27 Pa.
        var chip = new Bme280Emulator(Bme280Emulator.ExampleCalibration, () => (0, 0, 0), Bme280Emulator.Bmp280ChipId);
        chip.SetRawReadings(519888, 415148, 0);
        using var sensor = new Bmp280Sensor(Bus(chip, 0x76));
        Span<double> values = stackalloc double[2];
        sensor.Read(values);
        Assert.Equal(25.08, values[0], 0.005);
        Assert.Equal(100653.27, values[1], 1.0);   // the driver uses the datasheet's 64-bit integer formula
    }

    [Fact]
    public void Bme280SameExampleAndEmulatorInverseRoundTrip()
    {
        var chip = new Bme280Emulator(Bme280Emulator.ExampleCalibration, () => (0, 0, 0));
        chip.SetRawReadings(519888, 415148, 0);
        using (var sensor = new Bme280Sensor(Bus(chip, 0x76)))
        {
            Span<double> values = stackalloc double[3];
            sensor.Read(values);
            Assert.Equal(25.08, values[0], 0.005);
            Assert.Equal(100653.27, values[2], 1.0);
        }

        var live = new Bme280Emulator(Bme280Emulator.ExampleCalibration, () => (21.37, 98765.4, 52.5));
        using var roundTrip = new Bme280Sensor(Bus(live, 0x76));
        Span<double> read = stackalloc double[3];
        roundTrip.Read(read);
        Assert.Equal(21.37, read[0], 0.01);
        Assert.Equal(52.5, read[1], 0.1);
        Assert.Equal(98765.4, read[2], 3.0);
    }

    [Fact]
    public void Bme280WithAnotherChipIdIsRefused()
    {
        var bmp = new Bme280Emulator(Bme280Emulator.ExampleCalibration, () => (20, 100000, 40), Bme280Emulator.Bmp280ChipId);
        Assert.Throws<IOException>(() => new Bme280Sensor(Bus(bmp, 0x76)));
    }

    [Fact]
    public void Sht3xCrcMatchesTheDatasheetExampleAndABadCrcIsAnError()
    {
        Assert.Equal(0x92, Sht3xCrc.Compute([0xBE, 0xEF]));   // SHT3x datasheet, table 19

        var chip = new Sht3xEmulator(() => (25.0, 60.0));
        using var sensor = new Sht3xSensor(Bus(chip, 0x44));
        Span<double> values = stackalloc double[2];
        sensor.Read(values);
        Assert.Equal(25.0, values[0], 0.1);
        Assert.Equal(60.0, values[1], 0.1);

        chip.CorruptNextCrc = true;
        var e = Assert.Throws<IOException>(() => ReadSht(sensor));
        Assert.Contains("CRC", e.Message, StringComparison.Ordinal);
    }

    private static void ReadSht(Sht3xSensor sensor)
    {
        Span<double> values = stackalloc double[2];
        sensor.Read(values);
    }

    [Fact]
    public void Bh1750DatasheetLuxConversionExample()
    {
        // BH1750FVI datasheet, measurement sequence example: H-resolution mode count 1000_0011_1001_0000 (33680) → 28067 lx.
        var chip = new Bh1750Emulator(() => 0);
        chip.SetRawCount(0b1000_0011_1001_0000);
        using var sensor = new Bh1750Sensor(Bus(chip, 0x23));
        Span<double> values = stackalloc double[1];
        sensor.Read(values);
        Assert.Equal(28067, Math.Round(values[0]));
        Assert.Equal(69, chip.MeasurementTime);   // the driver leaves MTreg at its default
    }

    [Theory]
    [InlineData(6.144)]
    [InlineData(4.096)]
    [InlineData(2.048)]
    [InlineData(1.024)]
    [InlineData(0.512)]
    [InlineData(0.256)]
    public void Ads1115FullScaleRanges(double fullScale)
    {
        // ADS1115 datasheet table 3: +FS(2^15 − 1)/2^15 → 7FFFh, +FS/2^15 → 0001h, 0 → 0000h; beyond full scale clips to 7FFFh.
        double lsb = fullScale / 32768;
        var chip = new Ads1115Emulator(_ => 0);
        using var sensor = new Ads1115Sensor(Bus(chip, 0x48), 2, fullScale);
        Span<double> v = stackalloc double[1];

        chip.SetInputs(input => input == 2 ? fullScale * 32767 / 32768 : 0);
        sensor.Read(v);
        Assert.Equal(fullScale - lsb, v[0], lsb / 10);

        chip.SetInputs(input => input == 2 ? fullScale * 1.5 : 0);
        sensor.Read(v);
        Assert.Equal(fullScale - lsb, v[0], lsb / 10);

        chip.SetInputs(input => input == 2 ? lsb : 0);
        sensor.Read(v);
        Assert.Equal(lsb, v[0], lsb / 10);

        chip.SetInputs(input => input == 2 ? 0 : 3);   // another input does not leak into AIN2
        sensor.Read(v);
        Assert.Equal(0, v[0], lsb / 10);
    }

    [Fact]
    public void Ads1115InputAndRangeMapToTheDriversEnums()
    {
        Assert.Equal(InputMultiplexer.AIN3, Ads1115Sensor.Input(3));
        Assert.Equal(MeasuringRange.FS0256, Ads1115Sensor.Range(0.256));
    }
}

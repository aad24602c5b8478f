using System.Device.I2c;
using Usp.Hal.Drivers;
using Usp.Hal.Linux;
using Usp.Hal.Simulation;

namespace Usp.Hal.Tests;

/// <summary>
/// Sensor drivers on an SMBus-only adapter (no plain I2C transfers, like Linux's i2c-stub or a PC's SMBus): their
/// register reads and writes become SMBus transfers, and a transfer SMBus cannot express is refused.
/// </summary>
public sealed class SmbusI2cDeviceTests
{
    /// <summary>An SMBus adapter in front of a register-map chip emulator, counting the transfers it is asked for.</summary>
    private sealed class FakeSmbus(I2cChipEmulator chip, bool hasI2cBlock) : ISmbus
    {
        public Dictionary<string, int> Transfers { get; } = [];
        public bool HasI2cBlock => hasI2cBlock;

        public void SendByte(byte value) { Count("send byte"); chip.Write([value]); }
        public byte ReceiveByte() { Count("receive byte"); Span<byte> b = stackalloc byte[1]; chip.Read(b); return b[0]; }
        public byte ReadByteData(byte command) { Count("read byte data"); chip.Write([command]); Span<byte> b = stackalloc byte[1]; chip.Read(b); return b[0]; }
        public void WriteByteData(byte command, byte value) { Count("write byte data"); chip.Write([command, value]); }

        public void ReadI2cBlock(byte command, Span<byte> buffer)
        {
            Assert.True(hasI2cBlock && buffer.Length <= 32);
            Count("i2c block read");
            chip.Write([command]);
            chip.Read(buffer);
        }

        public void WriteI2cBlock(byte command, ReadOnlySpan<byte> data)
        {
            Assert.True(hasI2cBlock && data.Length <= 32);
            Count("i2c block write");
            chip.Write([command, .. data]);
        }

        public void Dispose() { }

        private void Count(string kind) => Transfers[kind] = Transfers.GetValueOrDefault(kind) + 1;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Bme280OnAnSmbusOnlyAdapterReadsTheDatasheetExample(bool hasI2cBlock)
    {
        // BME280 datasheet worked example (as in DriverDatasheetTests): adc_T = 519888 with the example calibration is 25.08 °C.
        var chip = new Bme280Emulator(Bme280Emulator.ExampleCalibration, () => (0, 0, 0));
        chip.SetRawReadings(519888, 415148, 0);
        var smbus = new FakeSmbus(chip, hasI2cBlock);
        using (var sensor = new Bme280Sensor(new SmbusI2cDevice(new I2cConnectionSettings(1, 0x76), smbus)))
        {
            Span<double> values = stackalloc double[3];
            sensor.Read(values);
            Assert.Equal(25.08, values[0], 0.005);
            Assert.Equal(100653.27, values[2], 1.0);
        }
        Assert.True(smbus.Transfers.GetValueOrDefault("write byte data") > 0);
        Assert.Equal(hasI2cBlock, smbus.Transfers.ContainsKey("i2c block read"));
        Assert.False(smbus.Transfers.ContainsKey("receive byte"));
    }

    [Fact]
    public void ReadsLongerThanOneSmbusBlockAreSplitAtThirtyTwoBytes()
    {
        var chip = new Bme280Emulator(Bme280Emulator.ExampleCalibration, () => (0, 0, 0));
        var smbus = new FakeSmbus(chip, hasI2cBlock: true);
        using var device = new SmbusI2cDevice(new I2cConnectionSettings(1, 0x76), smbus);
        var viaSmbus = new byte[40];
        device.WriteRead([0x88], viaSmbus);
        var direct = new byte[40];
        chip.Write([0x88]);
        chip.Read(direct);
        Assert.Equal(direct, viaSmbus);
        Assert.Equal(2, smbus.Transfers["i2c block read"]);
    }

    [Fact]
    public void TransfersWithNoSmbusFormAreRefusedWithTheBusNamed()
    {
        var chip = new Bme280Emulator(Bme280Emulator.ExampleCalibration, () => (0, 0, 0));
        using var device = new SmbusI2cDevice(new I2cConnectionSettings(3, 0x76), new FakeSmbus(chip, hasI2cBlock: false));
        var twoByteWriteThenRead = Assert.Throws<NotSupportedException>(() => device.WriteRead([0x12, 0x34], new byte[2]));
        Assert.Contains("I2C bus 3", twoByteWriteThenRead.Message);
        Assert.Throws<NotSupportedException>(() => device.Write([0xF4, 1, 2]));
        Assert.Throws<NotSupportedException>(() => device.Write([]));
    }
}

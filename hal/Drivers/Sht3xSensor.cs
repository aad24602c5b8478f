using System.Device.I2c;
using Iot.Device.Sht3x;
using Usp.Hal.Devices;

namespace Usp.Hal.Drivers;

/// <summary>
/// SHT3x through Iot.Device.Sht3x: temperature (°C) and humidity (%). The driver keeps its previous values when a
/// frame's CRC is wrong; <see cref="CrcCheckedI2c"/> sees the same frame and turns that into an error, so a bad
/// read shows as Status Error instead of a stale value.
/// </summary>
public sealed class Sht3xSensor : ISensorDevice
{
    private readonly CrcCheckedI2c _bus;
    private readonly Sht3x _driver;

    public Sht3xSensor(I2cDevice i2c)
    {
        _bus = new CrcCheckedI2c(i2c);
        _driver = new Sht3x(_bus, Resolution.High);
    }

    public static IReadOnlyList<SensorChannel> ChannelList { get; } = [SensorChannel.Temperature, SensorChannel.Humidity];

    public IReadOnlyList<SensorChannel> Channels => ChannelList;

    public void Read(Span<double> values)
    {
        double temperature = _driver.Temperature.DegreesCelsius;
        _bus.ThrowIfLastFrameBad();
        double humidity = _driver.Humidity.Percent;
        _bus.ThrowIfLastFrameBad();
        values[0] = temperature;
        values[1] = humidity;
    }

    public void Dispose() => _driver.Dispose();

    /// <summary>Passes transfers through and checks the CRC-8 (poly 0x31, init 0xFF) of each 6-byte measurement frame.</summary>
    private sealed class CrcCheckedI2c(I2cDevice inner) : I2cDevice
    {
        private bool _lastFrameBad;

        public override I2cConnectionSettings ConnectionSettings => inner.ConnectionSettings;
        public override byte ReadByte() => inner.ReadByte();
        public override void WriteByte(byte value) => inner.WriteByte(value);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
        public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer) => inner.WriteRead(writeBuffer, readBuffer);

        public override void Read(Span<byte> buffer)
        {
            inner.Read(buffer);
            _lastFrameBad = buffer.Length == 6 && (Sht3xCrc.Compute(buffer[..2]) != buffer[2] || Sht3xCrc.Compute(buffer.Slice(3, 2)) != buffer[5]);
        }

        public void ThrowIfLastFrameBad()
        {
            if (_lastFrameBad)
                throw new IOException("SHT3x measurement frame failed its CRC check");
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}

/// <summary>The SHT3x datasheet's CRC-8: polynomial 0x31, initial value 0xFF, no reflection, no final XOR.</summary>
public static class Sht3xCrc
{
    public static byte Compute(ReadOnlySpan<byte> data)
    {
        byte crc = 0xFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++)
                crc = (crc & 0x80) != 0 ? (byte)((crc << 1) ^ 0x31) : (byte)(crc << 1);
        }
        return crc;
    }
}

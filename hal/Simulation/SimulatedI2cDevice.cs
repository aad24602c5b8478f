using System.Device.I2c;

namespace Usp.Hal.Simulation;

/// <summary>An <see cref="I2cDevice"/> whose transfers go to a chip emulator; a chip told to fail answers with no ACK (IOException).</summary>
public sealed class SimulatedI2cDevice(I2cConnectionSettings settings, I2cChipEmulator chip) : I2cDevice
{
    public override I2cConnectionSettings ConnectionSettings => settings;

    public override byte ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        Read(one);
        return one[0];
    }

    public override void Read(Span<byte> buffer)
    {
        CheckAck();
        chip.Read(buffer);
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        CheckAck();
        chip.Write(buffer);
    }

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        Write(writeBuffer);
        Read(readBuffer);
    }

    private void CheckAck()
    {
        if (!chip.Present)
            throw new IOException($"no ACK from 0x{settings.DeviceAddress:x2} on I2C bus {settings.BusId}");
    }
}

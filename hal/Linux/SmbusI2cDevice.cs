using System.Device.I2c;

namespace Usp.Hal.Linux;

/// <summary>The SMBus transfers an adapter offers (Linux: <c>I2C_SMBUS</c> on <c>/dev/i2c-N</c>).</summary>
public interface ISmbus : IDisposable
{
    /// <summary>Whether the adapter has SMBus "I2C block" reads and writes (up to 32 bytes from a register).</summary>
    bool HasI2cBlock { get; }

    void SendByte(byte value);
    byte ReceiveByte();
    byte ReadByteData(byte command);
    void WriteByteData(byte command, byte value);
    void ReadI2cBlock(byte command, Span<byte> buffer);
    void WriteI2cBlock(byte command, ReadOnlySpan<byte> data);
}

/// <summary>
/// An <see cref="I2cDevice"/> on an SMBus-only adapter: one that cannot make plain I2C transfers (no
/// <c>I2C_FUNC_I2C</c>: PC SMBus controllers, some SoCs' SMBus blocks, Linux's i2c-stub), so the
/// System.Device.I2c device, which reads and writes plain messages, fails on it. The register idioms sensor drivers
/// use become SMBus transfers: a one-byte write is "send byte" (a command, or a register pointer); a read right after
/// it is a read of that register ("read byte data", or "I2C block read" of up to 32 bytes per transfer, the register
/// advancing as the chip's pointer would); a write of a register and a value is "write byte data", of a register and
/// more bytes "I2C block write"; <see cref="WriteRead"/> with a one-byte register is a register read.
/// Anything else has no SMBus form and is refused with <see cref="NotSupportedException"/>.
/// </summary>
public sealed class SmbusI2cDevice(I2cConnectionSettings settings, ISmbus bus) : I2cDevice
{
    private const int BlockMax = 32;
    private byte? _register;

    public override I2cConnectionSettings ConnectionSettings => settings;

    public override void WriteByte(byte value)
    {
        bus.SendByte(value);
        _register = value;
    }

    public override byte ReadByte()
    {
        if (_register is not { } register)
            return bus.ReceiveByte();
        _register = (byte)(register + 1);
        return bus.ReadByteData(register);
    }

    public override void Read(Span<byte> buffer)
    {
        if (_register is not { } register)
        {
            for (int i = 0; i < buffer.Length; i++)
                buffer[i] = bus.ReceiveByte();
            return;
        }
        ReadRegisters(register, buffer);
        _register = (byte)(register + buffer.Length);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        switch (buffer.Length)
        {
            case 0:
                throw new NotSupportedException($"an empty write has no SMBus form (I2C bus {settings.BusId} is SMBus-only)");
            case 1:
                WriteByte(buffer[0]);
                return;
            case 2:
                bus.WriteByteData(buffer[0], buffer[1]);
                break;
            default:
                if (!bus.HasI2cBlock || buffer.Length - 1 > BlockMax)
                    throw new NotSupportedException($"a {buffer.Length}-byte write has no SMBus form on I2C bus {settings.BusId} (SMBus-only, {(bus.HasI2cBlock ? "block writes of at most 32 bytes" : "no I2C block writes")})");
                bus.WriteI2cBlock(buffer[0], buffer[1..]);
                break;
        }
        _register = null;
    }

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        if (writeBuffer.Length != 1)
            throw new NotSupportedException($"a write of {writeBuffer.Length} bytes then a read has no SMBus form (I2C bus {settings.BusId} is SMBus-only; a one-byte register is)");
        ReadRegisters(writeBuffer[0], readBuffer);
        _register = null;
    }

    private void ReadRegisters(byte register, Span<byte> buffer)
    {
        if (buffer.Length == 1 || !bus.HasI2cBlock)
        {
            for (int i = 0; i < buffer.Length; i++)
                buffer[i] = bus.ReadByteData((byte)(register + i));
            return;
        }
        for (int done = 0; done < buffer.Length; done += BlockMax)
            bus.ReadI2cBlock((byte)(register + done), buffer.Slice(done, Math.Min(BlockMax, buffer.Length - done)));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            bus.Dispose();
        base.Dispose(disposing);
    }
}

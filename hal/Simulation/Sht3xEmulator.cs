using Usp.Hal.Drivers;

namespace Usp.Hal.Simulation;

/// <summary>
/// Sensirion SHT3x: 16-bit commands (single-shot measurement 0x24xx/0x2Cxx, soft reset 0x30A2, heater 0x306D/0x3066)
/// and a 6-byte answer, temperature and humidity words each followed by its CRC-8. ST = (T + 45) / 175 × 65535,
/// SRH = RH / 100 × 65535, the datasheet's conversion inverted. <see cref="CorruptNextCrc"/> sends a bad CRC.
/// </summary>
public sealed class Sht3xEmulator(Func<(double Celsius, double Humidity)> environment) : I2cChipEmulator
{
    private readonly byte[] _frame = new byte[6];
    private bool _hasFrame;

    public bool CorruptNextCrc { get; set; }
    public bool Heater { get; private set; }

    public override void Write(ReadOnlySpan<byte> data)
    {
        if (data.Length < 2)
            throw new IOException("SHT3x commands are 16 bits");
        int command = data[0] << 8 | data[1];
        switch (command)
        {
            case 0x30A2: _hasFrame = false; Heater = false; break;
            case 0x306D: Heater = true; break;
            case 0x3066: Heater = false; break;
            default:
                if (data[0] is 0x24 or 0x2C)
                {
                    Measure();
                    break;
                }
                throw new IOException($"SHT3x: no such command 0x{command:x4}");
        }
    }

    public override void Read(Span<byte> buffer)
    {
        if (!_hasFrame)
            throw new IOException("SHT3x: no measurement pending (NACK)");
        _frame.AsSpan(0, Math.Min(6, buffer.Length)).CopyTo(buffer);
        _hasFrame = false;
    }

    private void Measure()
    {
        var (celsius, humidity) = environment();
        ushort st = (ushort)Math.Clamp(Math.Round((celsius + 45) / 175 * 65535), 0, 65535);
        ushort srh = (ushort)Math.Clamp(Math.Round(humidity / 100 * 65535), 0, 65535);
        Encode(st, _frame.AsSpan(0, 3));
        Encode(srh, _frame.AsSpan(3, 3));
        if (CorruptNextCrc)
        {
            _frame[2] ^= 0xFF;
            CorruptNextCrc = false;
        }
        _hasFrame = true;
    }

    private static void Encode(ushort word, Span<byte> into)
    {
        into[0] = (byte)(word >> 8);
        into[1] = (byte)word;
        into[2] = Sht3xCrc.Compute(into[..2]);
    }
}

namespace Usp.Hal.Simulation;

/// <summary>
/// ROHM BH1750FVI: single-byte commands (power down/on, reset, the six measurement modes, MTreg high/low bits) and a
/// 2-byte big-endian count. Count = lux × 1.2 × MTreg/69 (×2 in the H-resolution mode 2), the datasheet's relation.
/// </summary>
public sealed class Bh1750Emulator(Func<double> lux) : I2cChipEmulator
{
    private bool _poweredOn;
    private byte _mode;
    private int _mtReg = 69;
    private int? _rawOverride;

    public int MeasurementTime => _mtReg;

    /// <summary>Serves this count instead of the signal's (the datasheet's example: 0x8390).</summary>
    public void SetRawCount(int count) => _rawOverride = count;

    public override void Write(ReadOnlySpan<byte> data)
    {
        foreach (byte command in data)
        {
            switch (command)
            {
                case 0x00: _poweredOn = false; break;
                case 0x01: _poweredOn = true; break;
                case 0x07: break; // reset clears the data register only
                case 0x10 or 0x11 or 0x13 or 0x20 or 0x21 or 0x23: _poweredOn = true; _mode = command; break;
                case >= 0x40 and <= 0x47: _mtReg = (_mtReg & 0x1F) | ((command & 0x07) << 5); break;
                case >= 0x60 and <= 0x7F: _mtReg = (_mtReg & 0xE0) | (command & 0x1F); break;
                default: throw new IOException($"BH1750: no such command 0x{command:x2}");
            }
        }
    }

    public override void Read(Span<byte> buffer)
    {
        int count = 0;
        if (_poweredOn && _mode != 0)
        {
            double factor = 1.2 * _mtReg / 69.0 * (_mode is 0x11 or 0x21 ? 2 : 1);
            count = _rawOverride ?? (int)Math.Clamp(Math.Round(lux() * factor), 0, 0xFFFF);
        }
        if (buffer.Length > 0)
            buffer[0] = (byte)(count >> 8);
        if (buffer.Length > 1)
            buffer[1] = (byte)count;
        if (_mode is 0x20 or 0x21 or 0x23)
            _poweredOn = false; // one-time modes power down after the measurement
    }
}

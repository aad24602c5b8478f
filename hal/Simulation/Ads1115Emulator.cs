namespace Usp.Hal.Simulation;

/// <summary>
/// TI ADS1115: pointer register (0 conversion, 1 config, 2/3 thresholds) and 16-bit big-endian registers. Writing
/// the config with OS=1 converts the selected input at the selected full-scale range: code = V / FS × 32768, clamped
/// to −32768…32767 as the datasheet's output codes are.
/// </summary>
public sealed class Ads1115Emulator(Func<int, double> volts) : I2cChipEmulator
{
    private static readonly double[] FullScale = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256];
    private readonly ushort[] _registers = [0x0000, 0x8583, 0x8000, 0x7FFF];
    private int _pointer;
    private Func<int, double> _volts = volts;

    /// <summary>Serves this input voltage (volts by input number) instead of the signal's.</summary>
    public void SetInputs(Func<int, double> inputs) => _volts = inputs;

    public override void Write(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return;
        _pointer = data[0] & 0x03;
        if (data.Length >= 3)
        {
            ushort value = (ushort)(data[1] << 8 | data[2]);
            if (_pointer == 1)
            {
                _registers[1] = (ushort)(value & 0x7FFF); // OS reads 0 while converting, 1 when done: done at once here
                Convert(value);
                _registers[1] |= 0x8000;
            }
            else if (_pointer != 0)
            {
                _registers[_pointer] = value;
            }
        }
    }

    public override void Read(Span<byte> buffer)
    {
        ushort value = _registers[_pointer];
        if ((_registers[1] & 0x0100) == 0 && _pointer == 0)
        {
            Convert(_registers[1]); // continuous mode keeps converting
            value = _registers[0];
        }
        if (buffer.Length > 0)
            buffer[0] = (byte)(value >> 8);
        if (buffer.Length > 1)
            buffer[1] = (byte)value;
    }

    private void Convert(ushort config)
    {
        int mux = (config >> 12) & 0x7;
        double fs = FullScale[(config >> 9) & 0x7];
        double v = mux switch
        {
            >= 4 => _volts(mux - 4),
            0 => _volts(0) - _volts(1),
            1 => _volts(0) - _volts(3),
            2 => _volts(1) - _volts(3),
            _ => _volts(2) - _volts(3),
        };
        int code = (int)Math.Clamp(Math.Round(v / fs * 32768), -32768, 32767);
        _registers[0] = (ushort)(short)code;
    }
}

using System.Buffers.Binary;

namespace Usp.Hal.Simulation;

/// <summary>
/// Bosch BME280 (or BMP280, chip id 0x58) at register level: chip id at 0xD0, trimming parameters at 0x88–0xA1 and
/// 0xE1–0xE7, ctrl_hum/ctrl_meas/config, status, and the 20-bit temperature/pressure and 16-bit humidity ADC values
/// at 0xF7–0xFE. The raw values are found by inverting the datasheet's compensation formulas for the current
/// physical values, so a correct driver reads back what the signal says.
/// </summary>
public sealed class Bme280Emulator : RegisterMapEmulator
{
    public const byte Bme280ChipId = 0x60;
    public const byte Bmp280ChipId = 0x58;

    /// <summary>The BMP280 datasheet's worked-example trimming (§3.12) plus typical humidity trimming.</summary>
    public static Bme280Calibration ExampleCalibration { get; } = new(
        27504, 26435, -1000,
        36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000,
        75, 362, 0, 313, 50, 30);

    private readonly Bme280Calibration _cal;
    private readonly Func<(double Celsius, double Pascals, double Humidity)> _environment;
    private (int T, int P, int H)? _rawOverride;

    public Bme280Emulator(Bme280Calibration calibration, Func<(double Celsius, double Pascals, double Humidity)> environment, byte chipId = Bme280ChipId)
    {
        _cal = calibration;
        _environment = environment;
        Registers[0xD0] = chipId;
        var r = Registers.AsSpan();
        BinaryPrimitives.WriteUInt16LittleEndian(r[0x88..], calibration.T1);
        BinaryPrimitives.WriteInt16LittleEndian(r[0x8A..], calibration.T2);
        BinaryPrimitives.WriteInt16LittleEndian(r[0x8C..], calibration.T3);
        BinaryPrimitives.WriteUInt16LittleEndian(r[0x8E..], calibration.P1);
        short[] p = [calibration.P2, calibration.P3, calibration.P4, calibration.P5, calibration.P6, calibration.P7, calibration.P8, calibration.P9];
        for (int i = 0; i < p.Length; i++)
            BinaryPrimitives.WriteInt16LittleEndian(r[(0x90 + 2 * i)..], p[i]);
        Registers[0xA1] = calibration.H1;
        BinaryPrimitives.WriteInt16LittleEndian(r[0xE1..], calibration.H2);
        Registers[0xE3] = calibration.H3;
        Registers[0xE4] = (byte)(calibration.H4 >> 4);
        Registers[0xE5] = (byte)((calibration.H4 & 0x0F) | ((calibration.H5 & 0x0F) << 4));
        Registers[0xE6] = (byte)(calibration.H5 >> 4);
        Registers[0xE7] = (byte)calibration.H6;
    }

    /// <summary>Serves these ADC values instead of the signal's (the datasheet example: adc_T 519888, adc_P 415148).</summary>
    public void SetRawReadings(int adcT, int adcP, int adcH) => _rawOverride = (adcT, adcP, adcH);

    protected override void WriteRegister(byte register, byte value)
    {
        if (register == 0xE0)
        {
            return; // reset: nothing to clear in this model
        }
        Registers[register] = value;
        if (register == 0xF4 && (value & 0b11) is 0b01 or 0b10)
        {
            Measure();
            Registers[0xF4] = (byte)(value & 0xFC); // a forced measurement ends in sleep mode
        }
    }

    protected override void BeforeRead(byte register)
    {
        if (register is >= 0xF7 and <= 0xFE && (Registers[0xF4] & 0b11) == 0b11)
            Measure(); // normal mode measures continuously
    }

    private void Measure()
    {
        var (adcT, adcP, adcH) = _rawOverride ?? Invert(_environment());
        Registers[0xF7] = (byte)(adcP >> 12);
        Registers[0xF8] = (byte)(adcP >> 4);
        Registers[0xF9] = (byte)((adcP & 0x0F) << 4);
        Registers[0xFA] = (byte)(adcT >> 12);
        Registers[0xFB] = (byte)(adcT >> 4);
        Registers[0xFC] = (byte)((adcT & 0x0F) << 4);
        Registers[0xFD] = (byte)(adcH >> 8);
        Registers[0xFE] = (byte)adcH;
    }

    private (int T, int P, int H) Invert((double Celsius, double Pascals, double Humidity) env)
    {
        int adcT = Search(0, (1 << 20) - 1, t => Bme280Compensation.Temperature(_cal, t).Celsius < env.Celsius);
        int tFine = Bme280Compensation.Temperature(_cal, adcT).TFine;
        int adcP = Search(0, (1 << 20) - 1, p => Bme280Compensation.Pressure(_cal, tFine, p) > env.Pascals);
        int adcH = Search(0, 0xFFFF, h => Bme280Compensation.Humidity(_cal, tFine, h) < env.Humidity);
        return (adcT, adcP, adcH);
    }

    /// <summary>The first value in [lo, hi] for which <paramref name="below"/> is false (it is true below some point, false above).</summary>
    private static int Search(int lo, int hi, Func<int, bool> below)
    {
        while (lo < hi)
        {
            int mid = lo + (hi - lo) / 2;
            if (below(mid))
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }
}

/// <summary>BME280 trimming parameters (dig_T1…dig_H6).</summary>
public sealed record Bme280Calibration(
    ushort T1, short T2, short T3,
    ushort P1, short P2, short P3, short P4, short P5, short P6, short P7, short P8, short P9,
    byte H1, short H2, byte H3, short H4, short H5, sbyte H6);

/// <summary>The compensation formulas of the BMP280/BME280 datasheets (floating-point temperature and pressure, integer humidity).</summary>
public static class Bme280Compensation
{
    public static (double Celsius, int TFine) Temperature(Bme280Calibration c, int adcT)
    {
        double var1 = (adcT / 16384.0 - c.T1 / 1024.0) * c.T2;
        double d = adcT / 131072.0 - c.T1 / 8192.0;
        double var2 = d * d * c.T3;
        return ((var1 + var2) / 5120.0, (int)(var1 + var2));
    }

    public static double Pressure(Bme280Calibration c, int tFine, int adcP)
    {
        double var1 = tFine / 2.0 - 64000.0;
        double var2 = var1 * var1 * c.P6 / 32768.0;
        var2 += var1 * c.P5 * 2.0;
        var2 = var2 / 4.0 + c.P4 * 65536.0;
        var1 = (c.P3 * var1 * var1 / 524288.0 + c.P2 * var1) / 524288.0;
        var1 = (1.0 + var1 / 32768.0) * c.P1;
        if (var1 == 0)
            return 0;
        double p = 1048576.0 - adcP;
        p = (p - var2 / 4096.0) * 6250.0 / var1;
        var1 = c.P9 * p * p / 2147483648.0;
        var2 = p * c.P8 / 32768.0;
        return p + (var1 + var2 + c.P7) / 16.0;
    }

    public static double Humidity(Bme280Calibration c, int tFine, int adcH)
    {
        int v = tFine - 76800;
        v = ((((adcH << 14) - (c.H4 << 20) - (c.H5 * v)) + 16384) >> 15)
            * (((((((v * c.H6) >> 10) * (((v * c.H3) >> 11) + 32768)) >> 10) + 2097152) * c.H2 + 8192) >> 14);
        v -= ((((v >> 15) * (v >> 15)) >> 7) * c.H1) >> 4;
        v = Math.Clamp(v, 0, 419430400);
        return (v >> 12) / 1024.0;
    }
}

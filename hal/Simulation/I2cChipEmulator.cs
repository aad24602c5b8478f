using Usp.Hal.Config;

namespace Usp.Hal.Simulation;

/// <summary>
/// A chip on the simulated I2C bus, at register level: writes and reads arrive as the driver sends them (a register
/// pointer then data, or a command), so the real driver code runs. <see cref="Present"/> false makes every
/// transfer fail as a missing ACK does.
/// </summary>
public abstract class I2cChipEmulator
{
    public bool Present { get; set; } = true;

    public abstract void Write(ReadOnlySpan<byte> data);
    public abstract void Read(Span<byte> buffer);

    /// <summary>The emulator for a configured device, named <c>&lt;device&gt;.&lt;quantity&gt;</c> in <paramref name="signals"/>; null for kinds not on I2C.</summary>
    public static I2cChipEmulator? For(HalDeviceConfig device, SimulatedSignals signals) => device.Kind switch
    {
        HalDeviceKind.Bme280 => new Bme280Emulator(Bme280Emulator.ExampleCalibration, () => Environment(signals, device.Name)),
        HalDeviceKind.Bmp280 => new Bme280Emulator(Bme280Emulator.ExampleCalibration, () => Environment(signals, device.Name), chipId: Bme280Emulator.Bmp280ChipId),
        HalDeviceKind.Bh1750 => new Bh1750Emulator(() => signals.Value(device.Name + ".illuminance", 300, 250, 900)),
        HalDeviceKind.Sht3x => new Sht3xEmulator(() => (signals.Value(device.Name + ".temperature", 22, 3, 600), signals.Value(device.Name + ".humidity", 45, 10, 1200))),
        HalDeviceKind.Ads1115 => new Ads1115Emulator(input => signals.Value($"{device.Name}.ain{input}", 1.65, 1.2, 300 + 60 * input)),
        _ => null,
    };

    private static (double Celsius, double Pascals, double Humidity) Environment(SimulatedSignals signals, string name) =>
        (signals.Value(name + ".temperature", 22, 3, 600), signals.Value(name + ".pressure", 101325, 300, 1800), signals.Value(name + ".humidity", 45, 10, 1200));
}

/// <summary>A chip addressed through a register pointer that auto-increments on reads and writes (BME280, ADS1115's pointer byte…).</summary>
public abstract class RegisterMapEmulator : I2cChipEmulator
{
    protected byte[] Registers { get; } = new byte[256];
    protected byte Pointer { get; set; }

    /// <summary>The first byte sets the pointer; the rest are written from there on.</summary>
    public override void Write(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return;
        Pointer = data[0];
        for (int i = 1; i < data.Length; i++)
            WriteRegister((byte)(Pointer + i - 1), data[i]);
    }

    public override void Read(Span<byte> buffer)
    {
        BeforeRead(Pointer);
        for (int i = 0; i < buffer.Length; i++)
            buffer[i] = Registers[(byte)(Pointer + i)];
    }

    protected virtual void WriteRegister(byte register, byte value) => Registers[register] = value;

    /// <summary>A read starts at <paramref name="register"/>: refresh measurement registers here.</summary>
    protected virtual void BeforeRead(byte register)
    {
    }
}

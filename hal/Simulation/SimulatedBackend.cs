using System.Device.Gpio;
using System.Device.I2c;
using System.Globalization;
using Usp.Hal.Config;
using Usp.Hal.Devices;

namespace Usp.Hal.Simulation;

/// <summary>
/// The simulated board: one GPIO chip (<see cref="SimulatedGpioDriver"/>, lines by offset) with the configured wires,
/// and an I2C bus map of register-level chip emulators, so the real Iot.Device.Bindings drivers run unchanged.
/// </summary>
public sealed class SimulatedBackend : IHalBackend
{
    private readonly GpioController _gpio;
    private readonly Dictionary<(int Bus, int Address), I2cChipEmulator> _chips = [];

    public SimulatedBackend(HalSettings settings, TimeProvider time)
    {
        Gpio = new SimulatedGpioDriver();
        _gpio = new GpioController(Gpio);
        foreach (var (output, input) in settings.SimulatedWires)
            Gpio.Wire(output, input);
        var signals = Signals = new SimulatedSignals(settings.SimulationSeed, time);
        foreach (var device in settings.Devices)
        {
            if (I2cChipEmulator.For(device, signals) is { } chip)
                _chips[(device.Bus, device.Address)] = chip;
        }
    }

    public string Name => "simulated";
    public SimulatedGpioDriver Gpio { get; }

    /// <summary>The physical values the emulated chips measure (a test pins one with Override).</summary>
    public SimulatedSignals Signals { get; }

    /// <summary>The emulated chip at an address, for tests that make it fail or change.</summary>
    public I2cChipEmulator? Chip(int bus, int address) => _chips.GetValueOrDefault((bus, address));

    /// <summary>
    /// While set, opening a line fails with this reason, as a real chip does before udev has given the gpio group
    /// access to it or before its driver has probed (a test clears it to make the chip appear).
    /// </summary>
    public string? LinesUnavailable { get; set; }

    public (GpioController Controller, int Offset) OpenLine(HalDeviceConfig device)
    {
        if (LinesUnavailable is { } reason)
            throw new HalDeviceUnavailableException(reason);
        if (!int.TryParse(device.Line, NumberStyles.None, CultureInfo.InvariantCulture, out int offset) || offset >= 64)
            throw new HalDeviceUnavailableException($"the simulated GPIO chip has lines 0 to 63 by offset; '{device.Line}' is not one of them");
        return (_gpio, offset);
    }

    public I2cDevice OpenI2c(int bus, int address) =>
        _chips.TryGetValue((bus, address), out var chip)
            ? new SimulatedI2cDevice(new I2cConnectionSettings(bus, address), chip)
            : throw new HalDeviceUnavailableException($"no device answers at 0x{address:x2} on simulated I2C bus {bus}");

    public string Inventory() =>
        $"simulated GPIO chip (64 lines), simulated I2C: " +
        (_chips.Count == 0 ? "no chips" : string.Join(", ", _chips.Select(c => $"bus {c.Key.Bus} 0x{c.Key.Address:x2} {c.Value.GetType().Name.Replace("Emulator", "", StringComparison.Ordinal)}")));

    public void Dispose() => _gpio.Dispose();
}

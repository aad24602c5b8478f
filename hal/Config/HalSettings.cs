namespace Usp.Hal.Config;

/// <summary>The <c>Hal:</c> section: the devices and the simulated board's wires.</summary>
public sealed record HalSettings
{
    public required IReadOnlyList<HalDeviceConfig> Devices { get; init; }
    /// <summary>Simulated backend only: output line → input line wires (<c>Hal:SimulatedWires</c>, "17-&gt;27").</summary>
    public IReadOnlyList<(int Output, int Input)> SimulatedWires { get; init; } = [];
    /// <summary>Seed of the simulated signals, so a run can be repeated.</summary>
    public int SimulationSeed { get; init; } = 1;

    /// <summary>
    /// The demo board the simulated backend runs when <c>Hal:Devices</c> is not configured at all: a relay on line 17
    /// wired to a button on line 27, a BME280 at 0x76 and a BH1750 at 0x23 on bus 1.
    /// </summary>
    public static HalSettings SimulatedDemo { get; } = new()
    {
        Devices =
        [
            new() { Key = "demo", Name = "relay", Kind = HalDeviceKind.GpioOutput, Line = "17", Description = "Relay (simulated, wired to line 27)" },
            new() { Key = "demo", Name = "button", Kind = HalDeviceKind.GpioInput, Line = "27", Bias = GpioBias.PullDown, CapabilityType = "X_USPAGENT_ButtonPressed", Description = "Button (simulated, driven by line 17)" },
            new() { Key = "demo", Name = "climate", Kind = HalDeviceKind.Bme280, Bus = 1, Address = 0x76, HighAlarm = 30, LowAlarm = 5, Description = "BME280 (simulated)" },
            new() { Key = "demo", Name = "light", Kind = HalDeviceKind.Bh1750, Bus = 1, Address = 0x23, Description = "BH1750 (simulated)" },
        ],
        SimulatedWires = [(17, 27)],
    };
}

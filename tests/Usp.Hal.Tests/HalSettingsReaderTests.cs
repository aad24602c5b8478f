using Usp.Hal.Config;

namespace Usp.Hal.Tests;

public sealed class HalSettingsReaderTests
{
    private static HalSettings Read(params (string Key, string? Value)[] entries) =>
        HalSettingsReader.Read(entries.ToDictionary(e => e.Key, e => e.Value), simulated: true);

    [Fact]
    public void NoDevicesConfiguredRunsTheSimulatedDemoBoard()
    {
        var settings = Read();
        Assert.Equal(["relay", "button", "climate", "light"], settings.Devices.Select(d => d.Name));
        Assert.Equal([(17, 27)], settings.SimulatedWires);
        Assert.Empty(HalSettingsReader.Read(new Dictionary<string, string?>(), simulated: false).Devices);
    }

    [Fact]
    public void AnEmptyDeviceListMeansNoDevices() => Assert.Empty(Read(("Hal:Devices", null)).Devices);

    [Fact]
    public void DevicesAreReadWithTheirSettings()
    {
        var settings = Read(
            ("Hal:Devices:0:Name", "pump"), ("Hal:Devices:0:Type", "gpio-output"), ("Hal:Devices:0:Chip", "gpio-sim.0-node0"), ("Hal:Devices:0:Line", "pump-relay"),
            ("Hal:Devices:1:Name", "door"), ("Hal:Devices:1:Type", "gpio-input"), ("Hal:Devices:1:Line", "4"), ("Hal:Devices:1:Bias", "pull-up"), ("Hal:Devices:1:DebounceMs", "20"), ("Hal:Devices:1:ActiveLow", "true"),
            ("Hal:Devices:2:Name", "env"), ("Hal:Devices:2:Type", "BME280"), ("Hal:Devices:2:Bus", "0"), ("Hal:Devices:2:Address", "0x77"), ("Hal:Devices:2:PollInterval", "0.5"), ("Hal:Devices:2:HighAlarm", "40"),
            ("Hal:SimulatedWires:0", "4 -> 5"));
        Assert.Equal(("gpio-sim.0-node0", "pump-relay"), (settings.Devices[0].Chip, settings.Devices[0].Line));
        Assert.Equal((GpioBias.PullUp, TimeSpan.FromMilliseconds(20), true), (settings.Devices[1].Bias, settings.Devices[1].Debounce, settings.Devices[1].ActiveLow));
        Assert.Equal((HalDeviceKind.Bme280, 0, 0x77, TimeSpan.FromSeconds(0.5), (int?)40),
            (settings.Devices[2].Kind, settings.Devices[2].Bus, settings.Devices[2].Address, settings.Devices[2].PollInterval, settings.Devices[2].HighAlarm));
        Assert.Equal([(4, 5)], settings.SimulatedWires);
    }

    [Theory]
    [InlineData("Type", "bme999", "configuration Hal:Devices:0:Type is 'bme999': expected gpio-output, gpio-input, bme280")]
    [InlineData("Address", "0x80", "configuration Hal:Devices:0:Address is '0x80': expected a 7-bit I2C address")]
    [InlineData("PollInterval", "fast", "configuration Hal:Devices:0:PollInterval is 'fast': expected seconds")]
    [InlineData("Name", "bad name!", "configuration Hal:Devices:0:Name is 'bad name!'")]
    public void ABadEntryIsNamedInTheError(string key, string value, string expected)
    {
        var entries = new Dictionary<string, string?> { ["Hal:Devices:0:Name"] = "env", ["Hal:Devices:0:Type"] = "bme280", [$"Hal:Devices:0:{key}"] = value };
        var e = Assert.Throws<HalConfigurationException>(() => HalSettingsReader.Read(entries, simulated: true));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateNamesAndMissingLinesAreRefused()
    {
        var e = Assert.Throws<HalConfigurationException>(() => Read(
            ("Hal:Devices:0:Name", "a"), ("Hal:Devices:0:Type", "bh1750"),
            ("Hal:Devices:1:Name", "A"), ("Hal:Devices:1:Type", "sht3x")));
        Assert.Contains("Hal:Devices:1:Name is 'A'", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<HalConfigurationException>(() => Read(("Hal:Devices:0:Name", "led"), ("Hal:Devices:0:Type", "gpio-output")));
        Assert.Contains("Hal:Devices:0:Line is missing (device 'led')", e.Message, StringComparison.Ordinal);
    }
}

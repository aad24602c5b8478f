using System.Globalization;

namespace Usp.Hal.Config;

/// <summary>
/// Reads and validates the <c>Hal:</c> section from the flat configuration map (<c>Hal:Devices:0:Type</c> …), read
/// explicitly (no reflection binding) so the trimmed build keeps working; every bad entry is named in the error.
/// </summary>
public static class HalSettingsReader
{
    public const string Section = "Hal";
    private const int MaxNameLength = 58; // IoTCapability.Name is 64; the Alias adds "cpe-" and a sensor adds "-x".

    /// <param name="simulated">The simulated backend: with no Hal:Devices at all it runs <see cref="HalSettings.SimulatedDemo"/>.</param>
    public static HalSettings Read(IReadOnlyDictionary<string, string?> configuration, bool simulated)
    {
        var keys = new Dictionary<string, string?>(configuration, StringComparer.OrdinalIgnoreCase);
        string root = Section + ":";
        int seed = Get(keys, root + "SimulationSeed") is { } seedText
            ? int.TryParse(seedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) ? s : throw Bad(root + "SimulationSeed", seedText, "an integer")
            : 1;
        bool devicesConfigured = keys.Keys.Any(k => k.Equals(root + "Devices", StringComparison.OrdinalIgnoreCase) || k.StartsWith(root + "Devices:", StringComparison.OrdinalIgnoreCase));
        if (!devicesConfigured)
        {
            var baseline = simulated ? HalSettings.SimulatedDemo : new HalSettings { Devices = [] };
            return baseline with { SimulationSeed = seed };
        }

        var devices = new List<HalDeviceConfig>();
        foreach (int index in Indexes(keys, root + "Devices:"))
            devices.Add(ReadDevice(keys, $"{root}Devices:{index}"));
        var duplicate = devices.GroupBy(d => d.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new HalConfigurationException($"configuration {duplicate.Last().Key}:Name is '{duplicate.Last().Name}': another device already has that name; names must be unique (case does not count).");

        var wires = new List<(int, int)>();
        foreach (int index in Indexes(keys, root + "SimulatedWires:"))
        {
            string key = $"{root}SimulatedWires:{index}";
            string text = Get(keys, key) ?? "";
            var parts = text.Split("->", StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int o)
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int i))
                throw Bad(key, text, "OUTPUT->INPUT line offsets, such as 17->27");
            wires.Add((o, i));
        }
        return new HalSettings { Devices = devices, SimulatedWires = wires, SimulationSeed = seed };
    }

    private static HalDeviceConfig ReadDevice(Dictionary<string, string?> keys, string entry)
    {
        string? Value(string name) => Get(keys, entry + ":" + name);
        string name = Value("Name") ?? throw new HalConfigurationException($"configuration {entry}:Name is missing: every device needs a unique name.");
        if (name.Length > MaxNameLength || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw Bad(entry + ":Name", name, $"1 to {MaxNameLength} letters, digits, '-' or '_'");
        string typeText = Value("Type") ?? throw new HalConfigurationException($"configuration {entry}:Type is missing (device '{name}'): expected {TypeNames}.");
        HalDeviceKind kind = ParseKind(typeText) ?? throw Bad(entry + ":Type", typeText, TypeNames);

        var config = new HalDeviceConfig
        {
            Key = entry,
            Name = name,
            Kind = kind,
            Description = Value("Description") ?? "",
            CapabilityType = Value("CapabilityType"),
            PollInterval = Seconds(Value("PollInterval"), entry + ":PollInterval", TimeSpan.FromSeconds(2), min: 0.05),
            LowAlarm = OptionalInt(Value("LowAlarm"), entry + ":LowAlarm"),
            HighAlarm = OptionalInt(Value("HighAlarm"), entry + ":HighAlarm"),
        };
        switch (kind)
        {
            case HalDeviceKind.GpioOutput or HalDeviceKind.GpioInput:
                config = config with
                {
                    Chip = Value("Chip") ?? "0",
                    Line = Value("Line") ?? throw new HalConfigurationException($"configuration {entry}:Line is missing (device '{name}'): expected a line offset or a line name."),
                    ActiveLow = Bool(Value("ActiveLow"), entry + ":ActiveLow"),
                    Bias = Value("Bias")?.ToLowerInvariant() switch
                    {
                        null or "none" => GpioBias.None,
                        "pull-up" => GpioBias.PullUp,
                        "pull-down" => GpioBias.PullDown,
                        var other => throw Bad(entry + ":Bias", other, "none, pull-up or pull-down"),
                    },
                    Debounce = TimeSpan.FromMilliseconds(Int(Value("DebounceMs"), entry + ":DebounceMs", 0, 0, 10_000)),
                    InitialValue = Bool(Value("InitialValue"), entry + ":InitialValue"),
                };
                break;
            case HalDeviceKind.Ds18b20:
                config = config with
                {
                    OneWireBus = Value("OneWireBus") ?? "w1_bus_master1",
                    OneWireDevice = Value("OneWireDevice") ?? throw new HalConfigurationException($"configuration {entry}:OneWireDevice is missing (device '{name}'): expected the w1 device id, such as 28-0000075a2f1b."),
                };
                break;
            default:
                config = config with
                {
                    Bus = Int(Value("Bus"), entry + ":Bus", 1, 0, 255),
                    Address = Address(Value("Address"), entry + ":Address", DefaultAddress(kind)),
                    Channel = kind == HalDeviceKind.Ads1115 ? Int(Value("Channel"), entry + ":Channel", 0, 0, 3) : 0,
                    FullScaleVolts = kind == HalDeviceKind.Ads1115 ? FullScale(Value("FullScaleVolts"), entry + ":FullScaleVolts") : 4.096,
                };
                break;
        }
        return config;
    }

    private const string TypeNames = "gpio-output, gpio-input, bme280, bmp280, sht3x, bh1750, ads1115 or ds18b20";

    private static HalDeviceKind? ParseKind(string text) => text.ToLowerInvariant() switch
    {
        "gpio-output" => HalDeviceKind.GpioOutput,
        "gpio-input" => HalDeviceKind.GpioInput,
        "bme280" => HalDeviceKind.Bme280,
        "bmp280" => HalDeviceKind.Bmp280,
        "sht3x" => HalDeviceKind.Sht3x,
        "bh1750" => HalDeviceKind.Bh1750,
        "ads1115" => HalDeviceKind.Ads1115,
        "ds18b20" => HalDeviceKind.Ds18b20,
        _ => null,
    };

    private static int DefaultAddress(HalDeviceKind kind) => kind switch
    {
        HalDeviceKind.Bme280 or HalDeviceKind.Bmp280 => 0x76,
        HalDeviceKind.Sht3x => 0x44,
        HalDeviceKind.Bh1750 => 0x23,
        _ => 0x48, // ADS1115 with ADDR to GND
    };

    private static double FullScale(string? text, string key)
    {
        if (text is null)
            return 4.096;
        double[] ranges = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256];
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && ranges.Contains(v)
            ? v : throw Bad(key, text, "6.144, 4.096, 2.048, 1.024, 0.512 or 0.256");
    }

    private static int Address(string? text, string key, int fallback)
    {
        if (text is null)
            return fallback;
        bool hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        return int.TryParse(hex ? text[2..] : text, hex ? NumberStyles.HexNumber : NumberStyles.None, CultureInfo.InvariantCulture, out int a) && a is >= 0x03 and <= 0x77
            ? a : throw Bad(key, text, "a 7-bit I2C address from 0x03 to 0x77, such as 0x76");
    }

    private static int Int(string? text, string key, int fallback, int min, int max) =>
        text is null ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max ? v
        : throw Bad(key, text, $"a whole number from {min} to {max}");

    private static int? OptionalInt(string? text, string key) =>
        text is null ? null
        : int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) && v >= -274 ? v
        : throw Bad(key, text, "a whole number of degrees Celsius, -274 or more");

    private static bool Bool(string? text, string key) =>
        text is null ? false : bool.TryParse(text, out bool v) ? v : throw Bad(key, text, "true or false");

    private static TimeSpan Seconds(string? text, string key, TimeSpan fallback, double min) =>
        text is null ? fallback
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s >= min && s <= 86400 ? TimeSpan.FromSeconds(s)
        : throw Bad(key, text, $"seconds from {min.ToString(CultureInfo.InvariantCulture)} to 86400");

    private static string? Get(Dictionary<string, string?> keys, string key) =>
        keys.TryGetValue(key, out string? v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    /// <summary>The array indexes present under <paramref name="prefix"/>, in order.</summary>
    private static IEnumerable<int> Indexes(Dictionary<string, string?> keys, string prefix) =>
        keys.Keys.Where(k => k.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(k => k[prefix.Length..].Split(':')[0])
            .Select(i => int.TryParse(i, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : -1)
            .Where(n => n >= 0).Distinct().Order();

    private static HalConfigurationException Bad(string key, string value, string expected) =>
        new($"configuration {key} is '{value}': expected {expected}.");
}

namespace Usp.Hal.Devices;

/// <summary>
/// A sensor read by polling: one small adapter per Iot.Device.Bindings driver. <see cref="Read"/> may block on the
/// bus; it runs on the device's own poll loop, never under the engine lock, and throws
/// (<see cref="IOException"/>, <see cref="InvalidOperationException"/>…) when the device does not answer properly.
/// </summary>
public interface ISensorDevice : IDisposable
{
    IReadOnlyList<SensorChannel> Channels { get; }

    /// <summary>Reads every channel into <paramref name="values"/> (one per channel, in order).</summary>
    void Read(Span<double> values);
}

/// <summary>
/// One quantity a sensor measures. <paramref name="LevelType"/> and <paramref name="Unit"/> are TR-181's
/// IoTLevelType and IoTUnitType values; <paramref name="IsTemperature"/> also makes a TemperatureSensor row.
/// </summary>
public sealed record SensorChannel(string Key, string LevelType, string Unit, int Decimals, bool IsTemperature = false)
{
    public static SensorChannel Temperature { get; } = new("temperature", "Temperature", "degC", 2, IsTemperature: true);
    public static SensorChannel Humidity { get; } = new("humidity", "Humidity", "%", 1);
    public static SensorChannel Pressure { get; } = new("pressure", "Pressure", "Pa", 0);
    public static SensorChannel Illuminance { get; } = new("illuminance", "Brightness", "lx", 1);
    public static SensorChannel Voltage { get; } = new("voltage", "Meter", "V", 4);
}

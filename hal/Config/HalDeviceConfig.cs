namespace Usp.Hal.Config;

/// <summary>One entry of <c>Hal:Devices</c>, validated.</summary>
public sealed record HalDeviceConfig
{
    /// <summary>Unique name; also the IoTCapability Name and the Alias key (<c>cpe-</c> + name).</summary>
    public required string Name { get; init; }
    public required HalDeviceKind Kind { get; init; }
    /// <summary>The configuration key of the entry, e.g. <c>Hal:Devices:2</c>, for messages.</summary>
    public required string Key { get; init; }
    public string Description { get; init; } = "";
    /// <summary>TR-181 Type of the capability (BinaryControl: Switch/Locked; BinarySensor: DoorOpen, MotionDetected…); null: the kind's default.</summary>
    public string? CapabilityType { get; init; }

    /// <summary>GPIO chip: a number (gpiochipN), a chip name or its label (gpio-sim's); GPIO kinds only.</summary>
    public string Chip { get; init; } = "0";
    /// <summary>GPIO line: an offset on the chip or a line name.</summary>
    public string? Line { get; init; }
    public bool ActiveLow { get; init; }
    /// <summary>Input bias: <c>none</c>, <c>pull-up</c>, <c>pull-down</c>.</summary>
    public GpioBias Bias { get; init; }
    /// <summary>Edges closer together than this after a change are ignored (contact bounce).</summary>
    public TimeSpan Debounce { get; init; }
    /// <summary>Output level at start when the data model holds none.</summary>
    public bool InitialValue { get; init; }

    /// <summary>I2C bus number (/dev/i2c-N).</summary>
    public int Bus { get; init; } = 1;
    /// <summary>7-bit I2C address.</summary>
    public int Address { get; init; }
    /// <summary>ADS1115 input: 0–3 single-ended against GND.</summary>
    public int Channel { get; init; }
    /// <summary>ADS1115 full-scale range in volts: 6.144, 4.096, 2.048, 1.024, 0.512 or 0.256.</summary>
    public double FullScaleVolts { get; init; } = 4.096;
    /// <summary>DS18B20: the w1 bus (w1_bus_master1) and device id (28-…).</summary>
    public string? OneWireBus { get; init; }
    public string? OneWireDevice { get; init; }

    /// <summary>How often a sensor is read; readings between are served from the cache.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Initial TemperatureSensor LowAlarmValue / HighAlarmValue (°C) for sensors that measure temperature.</summary>
    public int? LowAlarm { get; init; }
    public int? HighAlarm { get; init; }
}

public enum GpioBias
{
    None,
    PullUp,
    PullDown,
}

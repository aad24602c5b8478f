using System.Device.Gpio;
using System.Device.I2c;
using Usp.Hal.Config;

namespace Usp.Hal.Devices;

/// <summary>
/// Where devices get their buses: the simulated board or the Linux kernel's GPIO character devices and i2c-dev.
/// Opening fails with <see cref="HalDeviceUnavailableException"/> naming what is missing.
/// </summary>
public interface IHalBackend : IDisposable
{
    /// <summary><c>simulated</c> or <c>linux</c>.</summary>
    string Name { get; }

    /// <summary>The controller of the device's GPIO chip and the line offset its <c>Line</c> names.</summary>
    (GpioController Controller, int Offset) OpenLine(HalDeviceConfig device);

    /// <summary>An I2C device at the address on the bus.</summary>
    I2cDevice OpenI2c(int bus, int address);

    /// <summary>What the backend finds on this machine (GPIO chips, I2C buses), for the start-up log.</summary>
    string Inventory();
}

/// <summary>A device's bus, chip, line or library is not there; the message says which.</summary>
public sealed class HalDeviceUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

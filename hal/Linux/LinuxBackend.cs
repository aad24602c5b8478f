using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using System.Device.I2c;
using System.Globalization;
using Usp.Hal.Config;
using Usp.Hal.Devices;

namespace Usp.Hal.Linux;

/// <summary>
/// The Linux kernel's interfaces: GPIO character devices through libgpiod (<see cref="LibGpiodDriver"/>, one
/// controller per chip), lines by offset or by name (read from the chip with the GPIO ioctls, so gpio-sim lines are
/// found by the names its configuration gave them), and i2c-dev (<c>/dev/i2c-N</c>; on an SMBus-only adapter through
/// <see cref="SmbusI2cDevice"/>). What is missing — libgpiod, a
/// chip, a line, a bus — is named in the error.
/// </summary>
public sealed class LinuxBackend(string systemRoot = "/") : IHalBackend
{
    private readonly Dictionary<string, GpioController> _controllers = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public string Name => "linux";

    public (GpioController Controller, int Offset) OpenLine(HalDeviceConfig device)
    {
        var chip = GpioChips.Find(systemRoot, device.Chip);
        int offset = int.TryParse(device.Line, NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? n
            : GpioChips.FindLine(chip, device.Line!);
        if (offset >= chip.Lines)
            throw new HalDeviceUnavailableException($"{chip.DevicePath} ({chip.Label}) has lines 0 to {chip.Lines - 1}; line {offset} is not one of them");
        lock (_gate)
        {
            if (!_controllers.TryGetValue(chip.DevicePath, out var controller))
            {
                try
                {
                    controller = new GpioController(new LibGpiodDriver(chip.Number));
                }
                catch (Exception e) when (e is DllNotFoundException or PlatformNotSupportedException or IOException or InvalidOperationException or TypeInitializationException)
                {
                    throw new HalDeviceUnavailableException(
                        $"cannot open {chip.DevicePath} through libgpiod ({e.Message}); install libgpiod2 (Debian) and check the agent may open the chip (group gpio)", e);
                }
                _controllers[chip.DevicePath] = controller;
            }
            return (controller, offset);
        }
    }

    public I2cDevice OpenI2c(int bus, int address)
    {
        string path = $"/dev/i2c-{bus}";
        if (!File.Exists(Path.Combine(systemRoot, path.TrimStart('/'))))
            throw new HalDeviceUnavailableException($"I2C bus {bus} is not there: no {path} (load i2c-dev, enable the bus, or set the device's Bus)");
        try
        {
            var settings = new I2cConnectionSettings(bus, address);
            // An SMBus-only adapter cannot make the plain I2C transfers System.Device.I2c's device makes.
            return (LinuxSmbus.Functionality(path) & LinuxSmbus.FuncI2c) != 0
                ? I2cDevice.Create(settings)
                : new SmbusI2cDevice(settings, LinuxSmbus.Open(path, address));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            throw new HalDeviceUnavailableException($"cannot open {path} at 0x{address:x2}: {e.Message}", e);
        }
    }

    public string Inventory()
    {
        var chips = GpioChips.All();
        string dev = Path.Combine(systemRoot, "dev");
        var buses = Directory.Exists(dev) ? Directory.EnumerateFileSystemEntries(dev, "i2c-*").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList() : [];
        return (chips.Count == 0 ? "no GPIO chips (/dev/gpiochip*)" : "GPIO chips " + string.Join(", ", chips.Select(c => $"{c.Name} '{c.Label}' ({c.Lines} lines)")))
            + "; " + (buses.Count == 0 ? "no I2C buses (/dev/i2c-*: load i2c-dev)" : "I2C buses " + string.Join(", ", buses));
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var controller in _controllers.Values)
                controller.Dispose();
            _controllers.Clear();
        }
    }
}

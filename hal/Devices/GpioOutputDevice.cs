using System.Device.Gpio;

namespace Usp.Hal.Devices;

/// <summary>A binary output: one GPIO line the agent drives (relay, LED). Writes are quick and made off the engine lock.</summary>
public sealed class GpioOutputDevice(GpioController controller, int offset, bool activeLow) : IDisposable
{
    private readonly Lock _gate = new();

    public bool Value { get; private set; }

    public void Open(bool initial)
    {
        lock (_gate)
        {
            controller.OpenPin(offset, PinMode.Output, Level(initial));
            Value = initial;
        }
    }

    public void Write(bool on)
    {
        lock (_gate)
        {
            controller.Write(offset, Level(on));
            Value = on;
        }
    }

    private PinValue Level(bool on) => on ^ activeLow ? PinValue.High : PinValue.Low;

    public void Dispose()
    {
        lock (_gate)
        {
            if (controller.IsPinOpen(offset))
                controller.ClosePin(offset);
        }
    }
}

using System.Device.Gpio;
using Usp.Hal.Config;

namespace Usp.Hal.Devices;

/// <summary>
/// A binary input: one GPIO line watched for both edges (button, contact). <see cref="Changed"/> is raised on the
/// driver's event thread as soon as the level changes; edges within <c>debounce</c> of the last accepted one are
/// dropped and the level re-read, so a bouncing contact reports its settled state.
/// </summary>
public sealed class GpioInputDevice(GpioController controller, int offset, bool activeLow, GpioBias bias, TimeSpan debounce, TimeProvider time) : IDisposable
{
    private readonly Lock _gate = new();
    private long _lastAccepted = long.MinValue;

    /// <summary>The new logical value (active-low already applied).</summary>
    public event Action<bool>? Changed;

    public bool Value { get; private set; }

    public void Open()
    {
        PinMode mode = bias switch
        {
            GpioBias.PullUp => PinMode.InputPullUp,
            GpioBias.PullDown => PinMode.InputPullDown,
            _ => PinMode.Input,
        };
        controller.OpenPin(offset, mode);
        lock (_gate)
            Value = ReadLine();
        controller.RegisterCallbackForPinValueChangedEvent(offset, PinEventTypes.Rising | PinEventTypes.Falling, OnEdge);
    }

    private bool ReadLine() => (controller.Read(offset) == PinValue.High) ^ activeLow;

    private void OnEdge(object sender, PinValueChangedEventArgs e)
    {
        bool value;
        lock (_gate)
        {
            long now = time.GetTimestamp();
            if (debounce > TimeSpan.Zero && _lastAccepted != long.MinValue && time.GetElapsedTime(_lastAccepted, now) < debounce)
                return;
            value = ReadLine();
            if (value == Value)
                return;
            Value = value;
            _lastAccepted = now;
        }
        Changed?.Invoke(value);
    }

    public void Dispose()
    {
        if (controller.IsPinOpen(offset))
        {
            controller.UnregisterCallbackForPinValueChangedEvent(offset, OnEdge);
            controller.ClosePin(offset);
        }
    }
}

using System.Device.Gpio;

namespace Usp.Hal.Simulation;

/// <summary>
/// A GPIO chip in memory behind <see cref="GpioController"/>, so the HAL's GPIO code runs unchanged without
/// hardware: outputs hold what was written, inputs read their pull (high with a pull-up) unless a wire drives them,
/// and <see cref="Wire"/> connects an output to an input (a relay looped back to a button), whose edges then raise
/// the controller's value-changed callbacks at once, on the writing thread.
/// </summary>
public sealed class SimulatedGpioDriver(int lineCount = 64) : GpioDriver
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, Line> _lines = [];
    private readonly Dictionary<int, List<int>> _wires = [];

    private sealed class Line
    {
        public PinMode Mode = PinMode.Input;
        public PinValue Driven = PinValue.Low;
        public PinValue? External;
        public readonly List<(PinEventTypes Events, PinChangeEventHandler Handler)> Callbacks = [];
    }

    protected override int PinCount => lineCount;

    /// <summary>Drives input <paramref name="input"/> from output <paramref name="output"/>, as a wire on the board would.</summary>
    public void Wire(int output, int input)
    {
        CheckLine(output);
        CheckLine(input);
        lock (_gate)
        {
            if (!_wires.TryGetValue(output, out var inputs))
                _wires[output] = inputs = [];
            inputs.Add(input);
        }
    }

    /// <summary>Sets the level an outside circuit puts on an input line (a button pressed); null releases it.</summary>
    public void DriveExternally(int line, PinValue? value)
    {
        CheckLine(line);
        List<(int, PinEventTypes)> edges = [];
        lock (_gate)
            SetExternal(line, value, edges);
        Raise(edges);
    }

    /// <summary>The level on a line now, as a probe on the board would see it.</summary>
    public PinValue ReadLine(int line)
    {
        lock (_gate)
            return _lines.ContainsKey(line) ? LevelOf(line) : PinValue.Low;
    }

    protected override void OpenPin(int pinNumber)
    {
        CheckLine(pinNumber);
        lock (_gate)
            _lines.TryAdd(pinNumber, new Line());
    }

    protected override void ClosePin(int pinNumber)
    {
        lock (_gate)
        {
            if (_lines.TryGetValue(pinNumber, out var line))
                line.Callbacks.Clear();
        }
    }

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        lock (_gate)
            LineOf(pinNumber).Mode = mode;
    }

    protected override PinMode GetPinMode(int pinNumber)
    {
        lock (_gate)
            return LineOf(pinNumber).Mode;
    }

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) =>
        mode is PinMode.Input or PinMode.Output or PinMode.InputPullUp or PinMode.InputPullDown;

    protected override PinValue Read(int pinNumber)
    {
        lock (_gate)
            return LevelOf(pinNumber);
    }

    protected override void Toggle(int pinNumber) => Write(pinNumber, !Read(pinNumber));

    protected override void Write(int pinNumber, PinValue value)
    {
        List<(int, PinEventTypes)> edges = [];
        lock (_gate)
        {
            var line = LineOf(pinNumber);
            PinValue before = LevelOf(pinNumber);
            line.Driven = value;
            if (before != LevelOf(pinNumber))
                edges.Add((pinNumber, value == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling));
            foreach (int input in _wires.GetValueOrDefault(pinNumber) ?? [])
                SetExternal(input, value, edges);
        }
        Raise(edges);
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<PinEventTypes>(TaskCreationOptions.RunContinuationsAsynchronously);
        PinChangeEventHandler handler = (_, e) => done.TrySetResult(e.ChangeType);
        AddCallbackForPinValueChangedEvent(pinNumber, eventTypes, handler);
        try
        {
            done.Task.Wait(cancellationToken);
            return new WaitForEventResult { EventTypes = done.Task.Result, TimedOut = false };
        }
        catch (OperationCanceledException)
        {
            return new WaitForEventResult { EventTypes = PinEventTypes.None, TimedOut = true };
        }
        finally
        {
            RemoveCallbackForPinValueChangedEvent(pinNumber, handler);
        }
    }

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        lock (_gate)
            LineOf(pinNumber).Callbacks.Add((eventTypes, callback));
    }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
        lock (_gate)
            LineOf(pinNumber).Callbacks.RemoveAll(c => c.Handler == callback);
    }

    public override GpioChipInfo GetChipInfo() => new(0, "gpiochip-sim", "usp-agent simulated GPIO", lineCount);

    private void SetExternal(int lineNumber, PinValue? value, List<(int, PinEventTypes)> edges)
    {
        if (!_lines.TryGetValue(lineNumber, out var line))
            _lines[lineNumber] = line = new Line();
        PinValue before = LevelOf(lineNumber);
        line.External = value;
        PinValue after = LevelOf(lineNumber);
        if (before != after)
            edges.Add((lineNumber, after == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling));
    }

    /// <summary>An output reads what it drives; an input what drives it from outside, else its pull.</summary>
    private PinValue LevelOf(int lineNumber)
    {
        var line = LineOf(lineNumber);
        if (line.Mode == PinMode.Output)
            return line.Driven;
        if (line.External is { } external)
            return external;
        return line.Mode == PinMode.InputPullUp ? PinValue.High : PinValue.Low;
    }

    private void Raise(List<(int Line, PinEventTypes Edge)> edges)
    {
        foreach (var (number, edge) in edges)
        {
            (PinEventTypes Events, PinChangeEventHandler Handler)[] callbacks;
            lock (_gate)
                callbacks = _lines.TryGetValue(number, out var line) ? [.. line.Callbacks] : [];
            foreach (var (events, handler) in callbacks)
            {
                if ((events & edge) != 0)
                    handler(this, new PinValueChangedEventArgs(edge, number));
            }
        }
    }

    private Line LineOf(int pinNumber) =>
        _lines.TryGetValue(pinNumber, out var line) ? line : throw new InvalidOperationException($"Simulated GPIO line {pinNumber} is not open.");

    private void CheckLine(int line)
    {
        if (line < 0 || line >= lineCount)
            throw new ArgumentOutOfRangeException(nameof(line), $"The simulated GPIO chip has lines 0 to {lineCount - 1}.");
    }
}

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Usp.DataModel;
using Usp.DataModel.Notifications;
using Usp.DataModel.Schema;
using Usp.Hal.Config;
using Usp.Hal.Simulation;
using Usp.Proto;
using Usp.Tests.Support;

namespace Usp.Hal.Tests;

/// <summary>
/// An engine on a temporary directory with a Controller subscribed to ValueChange of the given paths, a sender that
/// records the Notify messages it is asked to deliver, and optionally a HAL on the simulated backend.
/// </summary>
internal sealed class HalTestAgent : IDisposable
{
    public const string AgentId = "proto::hal-agent";
    public const string ControllerId = "proto::hal-controller";

    private readonly CancellationTokenSource _stop = new();
    private readonly bool _ownsDirectory;

    public HalTestAgent(HalSettings? settings, string[] valueChangeReferences, string? directory = null, IReadOnlyList<IDataModelArea>? areas = null, TimeProvider? time = null, Action<SimulatedBackend>? prepare = null)
    {
        _ownsDirectory = directory is null;
        Directory = directory ?? NewDirectory();
        Time = time ?? TimeProvider.System;
        Logs = new CollectingLoggerFactory();
        if (settings is not null)
        {
            Backend = new SimulatedBackend(settings, Time);
            prepare?.Invoke(Backend);   // before the first poll, so no reading predates what the test pins
            Hal = new HalRuntime(settings, Backend, Time, Logs);
        }
        string defaults = FactoryDefaultsText.WriteFile(Directory, Defaults(valueChangeReferences));
        Engine = UspEngine.Open(new UspEngineOptions
        {
            DataDirectory = Directory,
            FactoryDefaultsPath = defaults,
            EndpointId = AgentId,
            Areas = [.. Hal is null ? [] : new IDataModelArea[] { Hal.Area }, .. areas ?? []],
            OutboundSender = Sender,
            Time = Time,
        });
        Hal?.Start(Engine, _stop.Token);
    }

    public string Directory { get; }
    public TimeProvider Time { get; }
    public UspEngine Engine { get; }
    public HalRuntime? Hal { get; }
    public SimulatedBackend? Backend { get; }
    public RecordingSender Sender { get; } = new();
    public CollectingLoggerFactory Logs { get; }

    public static string NewDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "usp-hal-tests-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(dir);
        return dir;
    }

    private static string Defaults(string[] references) =>
        FactoryDefaultsText.Controller(1, ControllerId, alias: "ctrl-1", onBoardingComplete: true)
        + FactoryDefaultsText.ControllerCoapMtp(1, "127.0.0.1", 5690, "ctrl", encrypted: null)
        + FactoryDefaultsText.FullAccessRole(alias: "full")
        + $$"""
        Device.LocalAgent.Subscription.1.Alias "cpe-vc"
        Device.LocalAgent.Subscription.1.Enable "true"
        Device.LocalAgent.Subscription.1.ID "vc"
        Device.LocalAgent.Subscription.1.NotifType "ValueChange"
        Device.LocalAgent.Subscription.1.ReferenceList "{{string.Join(",", references)}}"
        Device.LocalAgent.Subscription.1.Recipient "Device.LocalAgent.Controller.1"
        """;

    /// <summary>Runs notification loop passes until a ValueChange for <paramref name="path"/> with <paramref name="value"/> was sent.</summary>
    public async Task<Notify.Types.ValueChange> WaitForValueChangeAsync(string path, string value, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            await Engine.Notifications.PumpAsync();
            var found = Sender.ValueChanges.LastOrDefault(v => v.ParamPath == path && v.ParamValue == value);
            if (found is not null)
                return found;
            Assert.True(DateTime.UtcNow < deadline, $"no ValueChange {path} = {value}; sent: {string.Join("; ", Sender.ValueChanges.Select(v => $"{v.ParamPath}={v.ParamValue}"))}");
            await Task.Delay(10);
        }
    }

    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            Hal?.WhenStoppedAsync().Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        Hal?.Dispose();
        Engine.Dispose();
        _stop.Dispose();
        if (_ownsDirectory)
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>Keeps the Notify messages the engine sends (no_session_context Records).</summary>
internal sealed class RecordingSender : IOutboundRecordSender
{
    private readonly List<Notify> _notifies = [];

    public IReadOnlyList<Notify.Types.ValueChange> ValueChanges
    {
        get
        {
            lock (_notifies)
                return [.. _notifies.Where(n => n.NotificationCase == Notify.NotificationOneofCase.ValueChange).Select(n => n.ValueChange)];
        }
    }

    public ValueTask<DeliveryResult> SendAsync(string controllerEndpointId, ReadOnlyMemory<byte> record, CancellationToken cancellationToken)
    {
        var r = Record.Parser.ParseFrom(record.Span);
        var msg = Msg.Parser.ParseFrom(r.NoSessionContext.Payload);
        lock (_notifies)
            _notifies.Add(msg.Body.Request.Notify);
        return ValueTask.FromResult(DeliveryResult.Delivered);
    }
}

/// <summary>Collects log lines so tests can check what the HAL said (and how often).</summary>
internal sealed class CollectingLoggerFactory : ILoggerFactory
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
                return [.. _lines];
        }
    }

    public ILogger CreateLogger(string categoryName) => new Collector(this);
    public void AddProvider(ILoggerProvider provider) { }
    public void Dispose() { }

    private sealed class Collector(CollectingLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._lines)
                owner._lines.Add($"{logLevel}: {formatter(state, exception)}");
        }
    }
}

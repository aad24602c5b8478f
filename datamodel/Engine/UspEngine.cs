using Usp.DataModel.Areas;
using Usp.DataModel.Defaults;
using Usp.DataModel.Handlers;
using Usp.DataModel.Notifications;
using Usp.DataModel.Operations;
using Usp.DataModel.Paths;
using Usp.DataModel.Records;
using Usp.DataModel.Schema;
using Usp.DataModel.Security;
using Usp.DataModel.Store;
using Usp.Proto;

namespace Usp.DataModel;

/// <summary>
/// The transport-free USP Agent engine: give it a Record (or its bytes) and the sender's identity,
/// get back the Records to send. One message is handled at a time; Set/Add/Delete each commit in
/// one SQLite transaction and then raise <see cref="ChangesCommitted"/>. What the MTPs read of
/// <c>Device.LocalAgent.</c> (their own and the Controllers' MTPs, trusted certificates, credential roles) is in
/// UspEngine.MtpQueries.cs.
/// </summary>
public sealed partial class UspEngine : IDisposable
{
    private const string GeneratedEndpointIdKey = "generated_endpoint_id";
    private readonly Lock _gate = new();
    private readonly UspEngineOptions _options;
    private readonly DataModelStore _store;
    private readonly RecordProcessor _records;
    private readonly ComputedTableRefresher _computed;
    private string _endpointId = "";
    private readonly DeviceIdentityDefaults _identityDefaults;
    private (string Oui, string Serial) _identitySources;
    private bool _bootCauseTaken;
    private (string Cause, string CommandKey)? _bootCauseAtStart;

    private UspEngine(UspEngineOptions options)
    {
        _options = options;
        var env = new AgentEnvironment(options.Time, options.SystemStatus ?? new ProcSystemStatus(options.Identity.SystemRoot),
            options.Processes ?? new ProcProcessTable(options.Identity.SystemRoot, options.Time), options.SoftwareVersion, () => _endpointId);
        var builder = new SchemaBuilder();
        var sessions = new SessionTable();
        var commands = new AgentCommandServices { Restart = options.DeviceRestart, SelfTests = options.SelfTestParticipants };
        IDataModelArea[] builtIn = [new RootArea(), new DeviceInfoArea(env), new LocalAgentArea(env), new E2ESessionArea(sessions), new TimeArea(env), new OperateArea(commands)];
        foreach (var area in builtIn.Concat(options.Areas))
            area.Register(builder);
        Schema = builder.Build();
        _computed = ComputedTableRefresher.For(Schema);

        _store = DataModelStore.Open(Schema, options.DataDirectory, options.Log, options.Time);
        _identityDefaults = new DeviceIdentityDefaults(options.Identity, options.Log);
        if (_store.NeedsFactoryDefaults)
            ApplyFactoryDefaults("first start");
        else
        {
            BuiltInRoles.AddToOlderDatabase(_store, options.Time, options.Log);
            _identitySources = _identityDefaults.Apply(_store, factoryDefaultsApplied: false);
            ResolveEndpointId();
        }
        SyncAgentRows();

        var policy = options.AccessPolicy ?? new RoleBasedAccessPolicy(_store);
        AccessPolicy = options.FullAccessEndpointId is { } local ? new FullAccessFor(local, policy) : policy;
        Notifications = new NotificationService(_store, _gate, options, AccessPolicy, WrapForController);
        Notifications.Boot = new BootNotifier(Notifications, options.SoftwareVersion, TakeBootCause);
        var runner = new OperationRunner(Notifications, _gate, options.Time, options.Log);
        Notifications.OperationsIdle = runner.WhenIdleAsync;
        commands.Store = _store;
        commands.Notifications = Notifications;
        commands.Runner = runner;
        commands.FactoryReset = () => FactoryReset();
        _store.ChangesCommitted += (_, e) =>
        {
            Notifications.Changes.OnChangesCommitted(e);
            runner.OnRowsCreated(e.Changes.OfType<ObjectCreated>().Select(c => c.Path));
        };

        var dispatcher = new MessageDispatcher(_store, AccessPolicy, options.Time, options.Log, options.MaxPathsPerMessage)
        {
            Operate = new OperateHandler(runner, Notifications.AfterResponse),
            ResponseReceived = Notifications.OnResponse,
        };
        _records = new RecordProcessor(() => _endpointId, dispatcher, new DuplicateMessageFilter(options.Time, options.DuplicateWindow),
            FindControllerRow, new ControllerRoleAssigner(_store, options.Log),
            new SessionContextHandler(sessions, options.Time, options.Log, () => _endpointId), options.Log);
        options.Log.Info($"USP engine ready: EndpointID {_endpointId}, database {_store.DatabasePath} ({_store.Tree.ObjectCount} objects).");
    }

    /// <summary>Opens (or creates) the data model in <see cref="UspEngineOptions.DataDirectory"/>.</summary>
    public static UspEngine Open(UspEngineOptions options)
    {
        if (options.EndpointId is { } id && !EndpointIdentity.IsValid(id, out var problem))
            throw new ArgumentException($"The configured EndpointID is invalid: {problem}", nameof(options));
        return new UspEngine(options);
    }

    public string EndpointId => _endpointId;

    /// <summary>Who this device says it is (Device.DeviceInfo. and the EndpointID), with where each part came from.</summary>
    public DeviceIdentity Identity
    {
        get
        {
            lock (_gate)
            {
                var info = _store.Tree.Find(DeviceInfoArea.Path)!;
                return new DeviceIdentity(info.GetValue("ManufacturerOUI") ?? "", info.GetValue("ProductClass") ?? "",
                    info.GetValue("SerialNumber") ?? "", _endpointId, _identitySources.Oui, _identitySources.Serial);
            }
        }
    }
    public DataModelSchema Schema { get; }
    /// <summary>The controller-trust policy every handler asks (also for Operate and notifications).</summary>
    public IAccessPolicy AccessPolicy { get; }
    /// <summary>Outbound notifications: the host calls <c>RunAsync</c> (which also sends Boot!) for the agent's lifetime.</summary>
    public NotificationService Notifications { get; }
    public string DatabasePath => _store.DatabasePath;
    internal DataModelStore Store => _store;

    /// <summary>
    /// Raised after each committed change set (one per Set/Add/Delete message or local change),
    /// on the thread that handled the message, while the engine lock is held: hand work off
    /// (queue it) rather than calling back into the engine.
    /// </summary>
    public event EventHandler<ChangesCommittedEventArgs>? ChangesCommitted
    {
        add => _store.ChangesCommitted += value;
        remove => _store.ChangesCommitted -= value;
    }

    /// <summary>
    /// Handles one encoded Record; never throws on anything the peer sent. The computed tables it reads (the
    /// process table) are sampled first, off the engine lock, unless the calling thread already holds it
    /// (<see cref="TryRunNow"/>): then it sees their last sampling.
    /// </summary>
    public RecordResult HandleRecord(ReadOnlySpan<byte> record, SenderIdentity sender)
    {
        if (!_gate.IsHeldByCurrentThread)
            _computed.RefreshFor(record);
        lock (_gate)
        {
            SyncComputedTables();
            return _records.Process(record, sender);
        }
    }

    public RecordResult HandleRecord(Record record, SenderIdentity sender)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!_gate.IsHeldByCurrentThread)
            _computed.RefreshFor(record);
        lock (_gate)
        {
            SyncComputedTables();
            return _records.Process(record, sender);
        }
    }

    /// <summary>
    /// True when answering <paramref name="record"/> first samples a computed table that is out of date (a Get of
    /// <c>Device.DeviceInfo.ProcessStatus.Process.</c> reads every /proc/PID): a thread that must never wait (a
    /// network receive thread) should hand such a Record to another thread rather than use <see cref="TryRunNow"/>.
    /// </summary>
    public bool SamplesBeforeHandling(Record record) => _computed.NeedsRefresh(record);

    private void SyncComputedTables()
    {
        if (_store.Tree.SyncComputedTables())
            Notifications.Poller.Invalidate();
    }

    /// <summary>
    /// Runs <paramref name="work"/> under the engine lock only when the lock is free at once, for a thread that must
    /// never wait (a network receive thread); the engine's methods called from it re-enter the lock. False: not run.
    /// </summary>
    public bool TryRunNow<TState, TResult>(Func<TState, TResult> work, TState state, out TResult result)
    {
        ArgumentNullException.ThrowIfNull(work);
        result = default!;
        if (!_gate.TryEnter())
            return false;
        try
        {
            result = work(state);
            return true;
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>
    /// Wraps an agent-originated Msg (a Notify) for a Controller: inside its E2E session context when
    /// it has one (possibly several segment Records), else one no_session_context Record.
    /// </summary>
    public IReadOnlyList<Record> WrapForController(string controllerEndpointId, Msg msg)
    {
        lock (_gate)
            return _records.WrapOutgoing(controllerEndpointId, msg);
    }

    /// <summary>Reads one parameter by path (for the local CLI and the host); null when it does not resolve to exactly one value.</summary>
    public string? GetValue(string parameterPath)
    {
        if (!_gate.IsHeldByCurrentThread)
            _computed.RefreshFor(parameterPath);
        lock (_gate)
        {
            SyncComputedTables();
            var r = new PathResolver(_store.Tree).Resolve(parameterPath);
            if (!r.Ok || r.Leaf != LeafKind.Parameter || r.Objects.Count != 1 || r.Schema is null)
                return null;
            return r.Objects[0].GetValue(r.Schema.FindParam(r.LeafName!)!);
        }
    }

    /// <summary>
    /// Sets a parameter as the agent itself (no access checks; read-only parameters allowed), e.g.
    /// an MTP's Status. Returns an error text, or null on success.
    /// </summary>
    public string? SetInternal(string parameterPath, string value)
    {
        lock (_gate)
        {
            var r = new PathResolver(_store.Tree).Resolve(parameterPath);
            if (r.Error is { } e)
                return e.Message;
            if (r.Leaf != LeafKind.Parameter || r.Objects.Count != 1 || r.Schema is null)
                return $"{parameterPath} does not name exactly one parameter.";
            var param = r.Schema.FindParam(r.LeafName!)!;
            if (param.IsComputed)
                return $"{parameterPath} is computed live and cannot be set.";
            var check = ValueValidator.Check(param, value);
            if (!check.Ok)
                return check.Error;
            var tx = _store.Begin(null);
            tx.SetValue(r.Objects[0], param.Name, check.Value);
            return _store.Commit(tx, out var error) ? null : error;
        }
    }

    /// <summary>
    /// Why this start happened: the Cause and CommandKey recorded before the restart, or null when none was.
    /// The first call takes them out of the database, so that a restart requested during this run (even
    /// before Boot! goes out) is recorded for the next start only; later calls return the same answer. The
    /// agent calls it right after opening; <c>Device.Boot!</c> reports it. A process that only reads or edits
    /// the database (the offline CLI) never calls it and leaves the cause for the agent.
    /// </summary>
    public (string Cause, string CommandKey)? TakeBootCause()
    {
        lock (_gate)
        {
            if (!_bootCauseTaken)
            {
                _bootCauseAtStart = BootNotifier.Take(_store);
                _bootCauseTaken = true;
            }
            return _bootCauseAtStart;
        }
    }

    /// <summary>The Cause and CommandKey recorded for the next start, or null when no restart was asked for.</summary>
    public (string Cause, string CommandKey)? RecordedBootCause
    {
        get
        {
            lock (_gate)
                return BootNotifier.Peek(_store);
        }
    }

    /// <summary>Records why the next start happens (reported by its <c>Device.Boot!</c>), e.g. before a host-initiated restart.</summary>
    public void RecordBootCause(string cause, string commandKey)
    {
        lock (_gate)
            BootNotifier.Record(_store, cause, commandKey);
    }

    /// <summary>
    /// Drops all configuration and re-applies the factory defaults (the EndpointID is kept). Unless
    /// <paramref name="recordBootCause"/> is false (the reset this start was asked to carry out), the next
    /// start reports LocalFactoryReset when no other cause was recorded.
    /// </summary>
    public void FactoryReset(bool recordBootCause = true)
    {
        lock (_gate)
        {
            _options.Log.Warning("Factory reset: the data model is being rebuilt from the factory defaults.");
            if (recordBootCause)
                BootNotifier.Record(_store, BootCause.LocalFactoryReset, "", overwrite: false);
            Notifications.DiscardPending();
            _store.Wipe();
            Notifications.Poller.Invalidate();
            ApplyFactoryDefaults("factory reset");
            SyncAgentRows();
        }
    }

    /// <summary>Gives the areas that own their tables' rows (HAL devices…) exactly the rows they list.</summary>
    private void SyncAgentRows()
    {
        foreach (var source in _options.Areas.OfType<IAgentRowSource>())
            AgentRowSynchronizer.Sync(_store, source, _options.Log);
    }

    private void ApplyFactoryDefaults(string reason)
    {
        var log = _options.Log;
        IReadOnlyList<FactoryDefault> entries = [];
        if (_options.FactoryDefaultsPath is { } path)
        {
            if (File.Exists(path))
                entries = FactoryDefaultsFile.Parse(File.ReadAllText(path), log);
            else
                log.Warning($"Factory defaults file {path} does not exist; starting with an empty configuration.");
        }
        var placeholderFree = entries.Where(e => !e.Value.Contains("${", StringComparison.Ordinal)).ToList();
        var withPlaceholders = entries.Where(e => e.Value.Contains("${", StringComparison.Ordinal)).ToList();

        var tx = _store.Begin(null);
        FactoryDefaultsApplier.Apply(tx, _store.Tree, placeholderFree, new Dictionary<string, string>(), _options.Time, log);
        BuiltInRoles.AddIfNoneDefined(tx, _store.Tree, _options.Time, log);
        CommitOrThrow(tx);
        _store.SetMeta(BuiltInRoles.CheckedKey, "1");
        _identitySources = _identityDefaults.Apply(_store, factoryDefaultsApplied: true);
        ResolveEndpointId();
        var placeholders = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["EndpointID"] = _endpointId,
            ["SerialNumber"] = _store.Tree.Find(DeviceInfoArea.Path)!.GetValue("SerialNumber") ?? "",
            ["ManufacturerOUI"] = _store.Tree.Find(DeviceInfoArea.Path)!.GetValue("ManufacturerOUI") ?? "",
        };
        tx = _store.Begin(null);
        FactoryDefaultsApplier.Apply(tx, _store.Tree, withPlaceholders, placeholders, _options.Time, log);
        CommitOrThrow(tx);
        _store.MarkInitialized();
        log.Info($"Applied {entries.Count} factory default value(s) ({reason}).");
    }

    /// <summary>
    /// Options, then the stored value, then a self:: ID generated by an earlier version (kept so the agent's
    /// identity survives upgrades and factory resets), then os::OUI-SerialNumber (DeviceInfo's identity is never empty).
    /// </summary>
    private void ResolveEndpointId()
    {
        var localAgent = _store.Tree.Find(LocalAgentArea.Path)!;
        var stored = localAgent.GetValue("EndpointID") ?? "";
        string id;
        if (!string.IsNullOrEmpty(_options.EndpointId))
            id = _options.EndpointId;
        else if (stored.Length > 0)
            id = stored;
        else if (_store.GetMeta(GeneratedEndpointIdKey) is { } generated)
            id = generated;
        else
        {
            var info = _store.Tree.Find(DeviceInfoArea.Path)!;
            id = EndpointIdentity.FromOuiAndSerial(info.GetValue("ManufacturerOUI") ?? "", info.GetValue("SerialNumber") ?? "");
        }
        if (!EndpointIdentity.IsValid(id, out var problem))
            _options.Log.Warning($"EndpointID '{id}' does not follow TR-369: {problem}");
        _endpointId = id;
        if (stored != id)
        {
            var tx = _store.Begin(null);
            tx.SetValue(localAgent, "EndpointID", id);
            CommitOrThrow(tx);
        }
    }

    private void CommitOrThrow(DmTransaction tx)
    {
        if (!_store.Commit(tx, out var error))
            throw new IOException(error);
    }

    private DmObject? FindControllerRow(string endpointId) =>
        _store.Tree.Find(LocalAgentArea.Path)?.Table("Controller")?.Rows
            .FirstOrDefault(c => c.GetValue("EndpointID") == endpointId);

    public void Dispose() => _store.Dispose();
}

/// <summary>Full access for one Endpoint ID (the host's local administration), the inner policy for everyone else.</summary>
internal sealed class FullAccessFor(string endpointId, IAccessPolicy inner) : IAccessPolicy
{
    public bool IsAllowed(RequestingController controller, string path, Permission permission) =>
        controller.EndpointId == endpointId || inner.IsAllowed(controller, path, permission);

    public bool IsAllowed(RequestingController controller, string objectPath, string name, Permission permission) =>
        controller.EndpointId == endpointId || inner.IsAllowed(controller, objectPath, name, permission);
}

/// <summary>Where to reach a Controller over one of its MTPs.</summary>
public sealed record ControllerMtp(string Path, string Protocol, string Host, int Port, string ResourcePath, bool EnableEncryption);

/// <summary>One of the agent's own MTPs.</summary>
public sealed record AgentMtp(string Path, string Protocol, int Port, string ResourcePath, bool EnableEncryption);

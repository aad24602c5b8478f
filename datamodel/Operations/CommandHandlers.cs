using Usp.DataModel.Paths;
using Usp.DataModel.Store;

namespace Usp.DataModel.Operations;

/// <summary>
/// Runs a synchronous command inside the Operate message's transaction, under the engine lock:
/// keep it short. Its outcome goes into the OperateResp.
/// </summary>
public delegate CommandOutcome SyncCommandHandler(CommandContext context);

/// <summary>
/// Runs an asynchronous command. It is started after the Operate message committed, still under
/// the engine lock until its first await, so it must await before doing slow work; its outcome
/// becomes an OperationComplete notification.
/// </summary>
public delegate Task<CommandOutcome> AsyncCommandHandler(AsyncCommandContext context, CancellationToken cancellationToken);

/// <summary>What a synchronous command sees: the instance it runs on, its arguments, the message's transaction.</summary>
public sealed class CommandContext
{
    private readonly Action<Func<CancellationToken, ValueTask>> _afterResponse;
    private readonly Func<string, bool> _mayExecute;

    internal CommandContext(DmObject instance, string commandName, IReadOnlyDictionary<string, string> inputArgs, string commandKey,
        string controllerEndpointId, DmTransaction tx, DataModelTree tree, DateTimeOffset now,
        Action<Func<CancellationToken, ValueTask>> afterResponse, Func<string, bool> mayExecute)
    {
        _mayExecute = mayExecute;
        Instance = instance;
        CommandName = commandName;
        InputArgs = inputArgs;
        CommandKey = commandKey;
        ControllerEndpointId = controllerEndpointId;
        Tx = tx;
        Tree = tree;
        Now = now;
        _afterResponse = afterResponse;
    }

    public DmObject Instance { get; }
    public string CommandName { get; }
    /// <summary>Every declared input argument, validated; omitted optional ones carry their default (R-OPR.7).</summary>
    public IReadOnlyDictionary<string, string> InputArgs { get; }
    public string CommandKey { get; }
    public string ControllerEndpointId { get; }
    public DmTransaction Tx { get; }
    public DataModelTree Tree { get; }
    public DateTimeOffset Now { get; }

    /// <summary>Runs <paramref name="action"/> once the response has been handed to the MTP (e.g. a reboot).</summary>
    public void AfterResponse(Func<CancellationToken, ValueTask> action) => _afterResponse(action);

    /// <summary>Whether the invoking Controller may Operate <paramref name="commandPath"/> (CommandEvent 'x').</summary>
    public bool MayExecute(string commandPath) => _mayExecute(commandPath);
}

/// <summary>What an asynchronous command sees while it runs outside the engine lock.</summary>
public sealed class AsyncCommandContext
{
    private readonly Func<TimeSpan, CancellationToken, Task> _delay;
    private readonly Func<Func<DataModelTree, object?>, object?> _locked;

    internal AsyncCommandContext(string objectPath, string commandName, IReadOnlyDictionary<string, string> inputArgs, string commandKey,
        string controllerEndpointId, string requestPath, TimeProvider time,
        Func<TimeSpan, CancellationToken, Task> delay, Func<Func<DataModelTree, object?>, object?> locked)
    {
        ObjectPath = objectPath;
        CommandName = commandName;
        InputArgs = inputArgs;
        CommandKey = commandKey;
        ControllerEndpointId = controllerEndpointId;
        RequestPath = requestPath;
        Time = time;
        _delay = delay;
        _locked = locked;
    }

    /// <summary>Instance path of the object the command runs on, e.g. <c>Device.</c>.</summary>
    public string ObjectPath { get; }
    public string CommandName { get; }
    /// <summary>Every declared input argument, validated; omitted optional ones carry their default (R-OPR.7).</summary>
    public IReadOnlyDictionary<string, string> InputArgs { get; }
    public string CommandKey { get; }
    public string ControllerEndpointId { get; }
    /// <summary>The <c>Device.LocalAgent.Request.{i}.</c> row tracking this run.</summary>
    public string RequestPath { get; }
    public TimeProvider Time { get; }

    /// <summary>Waits on the engine's scheduler clock (so tests can advance time instead of sleeping).</summary>
    public Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) => _delay(delay, cancellationToken);

    /// <summary>Reads the data model under the engine lock.</summary>
    public T ReadModel<T>(Func<DataModelTree, T> read) => (T)_locked(tree => read(tree))!;
}

internal static class CommandPaths
{
    /// <summary>Resolves one object instance path in the tree, or null.</summary>
    public static DmObject? Find(DataModelTree tree, string path)
    {
        var r = new PathResolver(tree).Resolve(path.EndsWith('.') ? path : path + ".");
        return r.Ok && r.Leaf == LeafKind.Object && !r.EndsAtTable && r.Objects.Count == 1 ? r.Objects[0] : null;
    }
}

using Usp.DataModel.Paths;
using Usp.DataModel.Security;
using Usp.DataModel.Store;

namespace Usp.DataModel.Handlers;

/// <summary>Everything a message handler needs for one request.</summary>
internal sealed class RequestContext(
    RequestingController controller, DataModelStore store, IAccessPolicy access, TimeProvider time,
    IEngineLog log, DmTransaction? transaction)
{
    public RequestingController Controller { get; } = controller;
    public DataModelStore Store { get; } = store;
    public DataModelTree Tree => Store.Tree;
    public PathResolver Resolver { get; } = new(store.Tree);
    public IAccessPolicy Access { get; } = access;
    public TimeProvider Time { get; } = time;
    public IEngineLog Log { get; } = log;
    /// <summary>The message's transaction (Set, Add, Delete only).</summary>
    public DmTransaction Tx => transaction ?? throw new InvalidOperationException("This message has no transaction.");

    public bool Can(string path, Permission permission) => Access.IsAllowed(Controller, path, permission);

    /// <summary>Whether the Controller may do this to the parameter <paramref name="name"/> of the object at <paramref name="objectPath"/>.</summary>
    public bool Can(string objectPath, string name, Permission permission) => Access.IsAllowed(Controller, objectPath, name, permission);
}

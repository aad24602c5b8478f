namespace Usp.DataModel.Schema;

/// <summary>Fills in agent-assigned values of a new instance (e.g. a Subscription's Recipient).</summary>
public delegate void InstanceInitializer(InstanceInitContext context);

/// <summary>An object (single-instance or table) in the supported data model.</summary>
public sealed class ObjectSchema
{
    private readonly Dictionary<string, ParamSchema> _params = new(StringComparer.Ordinal);
    private readonly List<ParamSchema> _paramOrder = [];
    private readonly Dictionary<string, ObjectSchema> _children = new(StringComparer.Ordinal);
    private readonly List<ObjectSchema> _childOrder = [];
    private readonly Dictionary<string, CommandSchema> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EventSchema> _events = new(StringComparer.Ordinal);
    private readonly List<UniqueKey> _uniqueKeys = [];
    private readonly List<InstanceInitializer> _initializers = [];

    internal ObjectSchema(string name, ObjectSchema? parent, bool isMultiInstance)
    {
        Name = name;
        Parent = parent;
        IsMultiInstance = isMultiInstance;
        Path = parent is null ? name + "." : parent.Path + name + (isMultiInstance ? ".{i}." : ".");
        Depth = parent is null ? 0 : parent.Depth + 1;
    }

    public string Name { get; }
    public ObjectSchema? Parent { get; }
    /// <summary>Supported data model path, e.g. <c>Device.LocalAgent.Controller.{i}.</c>.</summary>
    public string Path { get; }
    public int Depth { get; }
    public bool IsMultiInstance { get; }
    public ObjectAccess Access { get; internal set; } = ObjectAccess.ReadOnly;
    public int MinEntries { get; internal set; }
    public int? MaxEntries { get; internal set; }
    /// <summary>Set on a computed table: its rows come from this source on read and are never stored.</summary>
    public Store.IComputedRowSource? RowSource { get; internal set; }

    /// <summary>True for a computed table and for every object below one.</summary>
    public bool IsComputedRows
    {
        get
        {
            for (var o = this; o is not null; o = o.Parent)
            {
                if (o.RowSource is not null)
                    return true;
            }
            return false;
        }
    }

    public IReadOnlyList<ParamSchema> Params => _paramOrder;
    public IReadOnlyList<ObjectSchema> Children => _childOrder;
    public IEnumerable<CommandSchema> Commands => _commands.Values;
    public IEnumerable<EventSchema> Events => _events.Values;
    public IReadOnlyList<UniqueKey> UniqueKeys => _uniqueKeys;
    internal IReadOnlyList<InstanceInitializer> Initializers => _initializers;

    public ParamSchema? FindParam(string name) => _params.GetValueOrDefault(name);
    public ObjectSchema? FindChild(string name) => _children.GetValueOrDefault(name);
    public CommandSchema? FindCommand(string name) => _commands.GetValueOrDefault(name);
    public EventSchema? FindEvent(string name) => _events.GetValueOrDefault(name);

    /// <summary>True when the parameter belongs to a key that may never change after creation (R-KEY.1).</summary>
    public bool IsNonFunctionalKey(string paramName) =>
        _uniqueKeys.Any(k => !k.Functional && k.ParamNames.Contains(paramName));

    public bool IsKeyParam(string paramName) => _uniqueKeys.Any(k => k.ParamNames.Contains(paramName));

    internal void AddParam(ParamSchema p)
    {
        if (!_params.TryAdd(p.Name, p))
            throw new InvalidOperationException($"{Path}{p.Name} is registered twice.");
        p.Owner = this;
        _paramOrder.Add(p);
    }

    internal void AddChild(ObjectSchema child)
    {
        if (!_children.TryAdd(child.Name, child))
            throw new InvalidOperationException($"{child.Path} is registered twice.");
        _childOrder.Add(child);
    }

    internal void AddCommand(CommandSchema c)
    {
        c.Owner = this;
        if (!_commands.TryAdd(c.Name, c))
            throw new InvalidOperationException($"{Path}{c.Name} is registered twice.");
    }

    internal void AddEvent(EventSchema e)
    {
        e.Owner = this;
        if (!_events.TryAdd(e.Name, e))
            throw new InvalidOperationException($"{Path}{e.Name} is registered twice.");
    }

    internal void AddUniqueKey(UniqueKey key) => _uniqueKeys.Add(key);
    internal void AddInitializer(InstanceInitializer init) => _initializers.Add(init);

    public override string ToString() => Path;
}


namespace Usp.DataModel.Schema;

/// <summary>
/// Builds the supported data model. Each data model area registers its objects through
/// <see cref="Object"/> using supported paths such as <c>Device.LocalAgent.Controller.{i}.</c>;
/// parents must be registered before children.
/// </summary>
public sealed class SchemaBuilder
{
    private readonly ObjectSchema _root = new("Device", null, false);
    private readonly Dictionary<string, ObjectSchema> _objects = new(StringComparer.Ordinal);
    private string _dataModelUri = "urn:broadband-forum-org:tr-181-2-18-0-usp";

    public SchemaBuilder()
    {
        _objects[_root.Path] = _root;
    }

    /// <summary>Returns a builder for the object at <paramref name="supportedPath"/>, creating it if new.</summary>
    public ObjectBuilder Object(string supportedPath)
    {
        if (_objects.TryGetValue(supportedPath, out var existing))
            return new ObjectBuilder(existing);
        if (!supportedPath.EndsWith('.'))
            throw new ArgumentException($"Object path '{supportedPath}' must end with '.'.", nameof(supportedPath));
        bool multi = supportedPath.EndsWith(".{i}.", StringComparison.Ordinal);
        string withoutSuffix = multi ? supportedPath[..^5] : supportedPath[..^1];
        int lastDot = withoutSuffix.LastIndexOf('.');
        if (lastDot < 0)
            throw new ArgumentException($"'{supportedPath}' is not below Device.", nameof(supportedPath));
        string parentPath = withoutSuffix[..(lastDot + 1)];
        string name = withoutSuffix[(lastDot + 1)..];
        if (!_objects.TryGetValue(parentPath, out var parent))
            throw new InvalidOperationException($"Register {parentPath} before {supportedPath}.");
        if (multi && parent.IsComputedRows)
            throw new InvalidOperationException($"{supportedPath}: a computed table's rows are not stored, so no table can hang below them.");
        var obj = new ObjectSchema(name, parent, multi);
        parent.AddChild(obj);
        _objects[supportedPath] = obj;
        return new ObjectBuilder(obj);
    }

    public SchemaBuilder DataModelUri(string uri)
    {
        _dataModelUri = uri;
        return this;
    }

    public DataModelSchema Build() => new(_root, _dataModelUri);
}

/// <summary>Fluent registration of one object's parameters, commands, events and keys.</summary>
public sealed class ObjectBuilder
{
    internal ObjectBuilder(ObjectSchema schema) => Schema = schema;

    public ObjectSchema Schema { get; }

    /// <summary>Makes a table creatable/deletable by Controllers and sets its entry limits.</summary>
    public ObjectBuilder Writable(int minEntries = 0, int? maxEntries = null)
    {
        if (Schema.RowSource is not null)
            throw new InvalidOperationException($"{Schema.Path} is a computed table: it is read-only.");
        Schema.Access = ObjectAccess.ReadWrite;
        Schema.MinEntries = minEntries;
        Schema.MaxEntries = maxEntries;
        return this;
    }

    /// <summary>Entry limits for a table whose rows only the agent creates (e.g. from hardware discovery).</summary>
    public ObjectBuilder Entries(int minEntries, int? maxEntries)
    {
        Schema.MinEntries = minEntries;
        Schema.MaxEntries = maxEntries;
        return this;
    }

    /// <summary>
    /// Makes this table a computed one: read-only, its rows supplied by <paramref name="source"/> when a message reads
    /// them (sampled off the engine lock, see <see cref="Store.IComputedRowSource"/>), never stored. Every parameter
    /// on and below its rows is computed; getters find the row's data in <c>context.Instance.RowData</c>. Add is
    /// refused with 7019 and Delete with 7024 as for any read-only table; no ObjectCreation/ObjectDeletion is sent
    /// for its rows. The table must hang off single-instance objects (one table per agent).
    /// </summary>
    public ObjectBuilder ComputedRows(Store.IComputedRowSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!Schema.IsMultiInstance)
            throw new InvalidOperationException($"{Schema.Path} is not a table.");
        if (Schema.Access == ObjectAccess.ReadWrite)
            throw new InvalidOperationException($"{Schema.Path} is writable; a computed table is read-only.");
        for (var p = Schema.Parent; p is not null; p = p.Parent)
        {
            if (p.IsMultiInstance)
                throw new InvalidOperationException($"{Schema.Path}: a computed table must hang off single-instance objects, not below {p.Path}.");
        }
        if (Schema.Params.FirstOrDefault(p => !p.IsComputed) is { } stored)
            throw new InvalidOperationException($"{stored}: the rows of a computed table are not stored, so each of their parameters needs a getter.");
        if (Schema.Children.Count > 0)
            throw new InvalidOperationException($"{Schema.Path}: make the table computed before registering objects below it.");
        Schema.RowSource = source;
        return this;
    }

    public ObjectBuilder Key(bool functional, params string[] paramNames)
    {
        Schema.AddUniqueKey(new UniqueKey(paramNames, functional));
        return this;
    }

    /// <summary>Registers the standard USP <c>Alias</c> parameter and its non-functional key.</summary>
    public ObjectBuilder Alias()
    {
        Param("Alias", ParamType.String, ParamAccess.WriteOnceReadOnly, maxLength: 64,
            patterns: [ValuePattern.Alias]);
        return Key(false, "Alias");
    }

    public ObjectBuilder Param(string name, ParamType type, ParamAccess access = ParamAccess.ReadOnly,
        string? defaultValue = null, decimal? min = null, decimal? max = null, int? minLength = null, int? maxLength = null,
        string[]? enumeration = null, ValuePattern[]? patterns = null, bool list = false, int? maxItems = null, ReferenceKind reference = ReferenceKind.None,
        ParamValueGetter? getter = null, ValueChangeSupport valueChange = ValueChangeSupport.Allowed, bool secured = false)
    {
        if (getter is null && Schema.IsComputedRows)
            throw new InvalidOperationException($"{Schema.Path}{name}: the rows of a computed table are not stored, so each of their parameters needs a getter.");
        var p = new ParamSchema(name, type, access)
        {
            Default = defaultValue,
            IsList = list,
            Reference = reference,
            Getter = getter,
            ValueChange = valueChange,
            IsSecured = secured,
            Constraints = new ValueConstraints
            {
                MinInclusive = min,
                MaxInclusive = max,
                MinLength = minLength,
                MaxLength = maxLength,
                Enumeration = enumeration ?? [],
                Patterns = patterns ?? [],
                MaxItems = maxItems,
            },
        };
        Schema.AddParam(p);
        return this;
    }

    /// <summary>A live read-only value computed on every read.</summary>
    public ObjectBuilder Computed(string name, ParamType type, ParamValueGetter getter,
        ValueChangeSupport valueChange = ValueChangeSupport.Allowed, bool list = false) =>
        Param(name, type, ParamAccess.ReadOnly, getter: getter, valueChange: valueChange, list: list);

    /// <summary>The <c>XNumberOfEntries</c> parameter counting the instances of child table <paramref name="table"/>.</summary>
    public ObjectBuilder NumberOfEntries(string table) =>
        Param(table + "NumberOfEntries", ParamType.UnsignedInt, ParamAccess.ReadOnly,
            getter: ctx => ctx.Instance.Table(table)?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "0");

    public ObjectBuilder Command(string name, bool isAsync = false, ArgumentSchema[]? inputs = null, ArgumentSchema[]? outputs = null)
    {
        if (!name.EndsWith("()", StringComparison.Ordinal))
            throw new ArgumentException($"Command '{name}' must end with ().", nameof(name));
        foreach (var input in inputs ?? [])
        {
            // Checked here so that an omitted argument can never reach a handler with a value it would reject.
            var param = input.AsParam();
            if (!ValueValidator.Check(param, param.EffectiveDefault).Ok && !input.Mandatory)
                throw new ArgumentException($"The default '{param.EffectiveDefault}' of {Schema.Path}{name} argument {input.Name} is not a valid value.", nameof(inputs));
        }
        Schema.AddCommand(new CommandSchema(name, isAsync, inputs ?? [], outputs ?? []));
        return this;
    }

    /// <summary>Attaches the code that runs a synchronous command registered on this object.</summary>
    public ObjectBuilder Handle(string commandName, Operations.SyncCommandHandler handler)
    {
        var command = RegisteredCommand(commandName);
        if (command.IsAsync)
            throw new InvalidOperationException($"{Schema.Path}{commandName} is asynchronous; give it an AsyncCommandHandler.");
        command.SyncHandler = handler;
        return this;
    }

    /// <summary>Attaches the code that runs an asynchronous command registered on this object.</summary>
    public ObjectBuilder Handle(string commandName, Operations.AsyncCommandHandler handler)
    {
        var command = RegisteredCommand(commandName);
        if (!command.IsAsync)
            throw new InvalidOperationException($"{Schema.Path}{commandName} is synchronous; give it a SyncCommandHandler.");
        command.AsyncHandler = handler;
        return this;
    }

    private CommandSchema RegisteredCommand(string commandName) =>
        Schema.FindCommand(commandName) ?? throw new InvalidOperationException($"Register {Schema.Path}{commandName} before its handler.");

    /// <summary>
    /// Marks a computed parameter whose provider reports its changes itself (through
    /// <c>NotificationService.ReportValueChanged</c>), so ValueChange does not poll it.
    /// </summary>
    public ObjectBuilder SignalsValueChange(string paramName)
    {
        var p = Schema.FindParam(paramName) ?? throw new InvalidOperationException($"Register {Schema.Path}{paramName} first.");
        p.SignalsValueChange = true;
        return this;
    }

    public ObjectBuilder Event(string name, params ArgumentSchema[] args)
    {
        if (!name.EndsWith('!'))
            throw new ArgumentException($"Event '{name}' must end with !.", nameof(name));
        Schema.AddEvent(new EventSchema(name, args));
        return this;
    }

    /// <summary>Runs when a Controller (or factory defaults) creates an instance, before its settings apply.</summary>
    public ObjectBuilder OnCreate(InstanceInitializer initializer)
    {
        Schema.AddInitializer(initializer);
        return this;
    }
}

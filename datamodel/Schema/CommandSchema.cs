namespace Usp.DataModel.Schema;

/// <summary>
/// A command or event argument: name, type and facets (input arguments are validated like
/// parameters). <paramref name="Default"/> is what an omitted optional input argument takes
/// (R-OPR.7); without one it takes the type's zero value.
/// </summary>
public sealed record ArgumentSchema(string Name, ParamType Type, bool Mandatory = false, string? Default = null,
    ValueConstraints? Constraints = null)
{
    /// <summary>The argument seen as a writable parameter, for validation and its effective default.</summary>
    internal ParamSchema AsParam() =>
        new(Name, Type, ParamAccess.ReadWrite) { Default = Default, Constraints = Constraints ?? ValueConstraints.None };
}

/// <summary>A data model command such as <c>Reboot()</c>.</summary>
public sealed class CommandSchema(string name, bool isAsync, IReadOnlyList<ArgumentSchema> inputs, IReadOnlyList<ArgumentSchema> outputs)
{
    /// <summary>Name including the trailing <c>()</c>.</summary>
    public string Name { get; } = name;
    public bool IsAsync { get; } = isAsync;
    public IReadOnlyList<ArgumentSchema> InputArgs { get; } = inputs;
    public IReadOnlyList<ArgumentSchema> OutputArgs { get; } = outputs;
    public ObjectSchema Owner { get; internal set; } = null!;
    /// <summary>Runs the command when <see cref="IsAsync"/> is false.</summary>
    public Operations.SyncCommandHandler? SyncHandler { get; internal set; }
    /// <summary>Runs the command when <see cref="IsAsync"/> is true.</summary>
    public Operations.AsyncCommandHandler? AsyncHandler { get; internal set; }
}

/// <summary>A data model event such as <c>Boot!</c>.</summary>
public sealed class EventSchema(string name, IReadOnlyList<ArgumentSchema> args)
{
    /// <summary>Name including the trailing <c>!</c>.</summary>
    public string Name { get; } = name;
    public IReadOnlyList<ArgumentSchema> Args { get; } = args;
    public ObjectSchema Owner { get; internal set; } = null!;
}

/// <summary>A set of parameters whose values together identify one instance of a table.</summary>
public sealed record UniqueKey(IReadOnlyList<string> ParamNames, bool Functional);

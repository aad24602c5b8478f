namespace Usp.DataModel.Schema;

/// <summary>Computes a live parameter value (uptime, a sensor reading…) for one object instance.</summary>
public delegate string ParamValueGetter(ParamReadContext context);

/// <summary>What a live parameter getter can see: the instance it is read on.</summary>
public readonly record struct ParamReadContext(Store.DmObject Instance);

/// <summary>
/// TR-106 reference strength: a strong reference must point at an existing object when set and is
/// cleared when its target is deleted (R-ARC.12); a weak one is left alone.
/// </summary>
public enum ReferenceKind
{
    None,
    Weak,
    Strong,
}

/// <summary>A parameter in the supported data model.</summary>
public sealed class ParamSchema
{
    internal ParamSchema(string name, ParamType type, ParamAccess access)
    {
        Name = name;
        Type = type;
        Access = access;
    }

    public string Name { get; }
    public ParamType Type { get; }
    public ParamAccess Access { get; internal set; }
    /// <summary>Comma-separated list of values of <see cref="Type"/>.</summary>
    public bool IsList { get; internal set; }
    public ValueConstraints Constraints { get; internal set; } = ValueConstraints.None;
    /// <summary>Value an instance has until something sets it; null means the type's zero value.</summary>
    public string? Default { get; internal set; }
    /// <summary>When set, the value is computed on every read and never stored.</summary>
    public ParamValueGetter? Getter { get; internal set; }
    /// <summary>Whether the value is a path to another object (TR-106 pathRef), and how strongly.</summary>
    public ReferenceKind Reference { get; internal set; }
    /// <summary>True when the value is a path to another object (used by reference following).</summary>
    public bool IsReference => Reference != ReferenceKind.None;
    public ValueChangeSupport ValueChange { get; internal set; } = ValueChangeSupport.Allowed;
    /// <summary>TR-106 <c>secured</c>: the value reads as "" unless the Controller holds one of the SecuredRoles.</summary>
    public bool IsSecured { get; internal set; }

    /// <summary>True when a computed value's provider reports changes itself instead of being polled.</summary>
    public bool SignalsValueChange { get; internal set; }
    public ObjectSchema Owner { get; internal set; } = null!;

    public bool IsComputed => Getter is not null;
    public bool IsWritable => Access != ParamAccess.ReadOnly;

    /// <summary>The value used when nothing was stored.</summary>
    public string EffectiveDefault => Default ?? Type switch
    {
        ParamType.String or ParamType.Base64 or ParamType.HexBinary => "",
        ParamType.Boolean => "false",
        ParamType.DateTime => "0001-01-01T00:00:00Z",
        _ => IsList ? "" : "0",
    };

    public override string ToString() => Owner.Path + Name;
}

namespace Usp.DataModel.Schema;

/// <summary>The TR-106 base types a parameter value can have.</summary>
public enum ParamType
{
    String,
    UnsignedInt,
    Int,
    UnsignedLong,
    Long,
    Boolean,
    DateTime,
    Base64,
    HexBinary,
    Decimal,
}

/// <summary>TR-106 parameter access.</summary>
public enum ParamAccess
{
    ReadOnly,
    ReadWrite,
    /// <summary>Settable once (by Add or a first Set), read-only afterwards.</summary>
    WriteOnceReadOnly,
}

/// <summary>Whether a Controller may Add/Delete instances of a table.</summary>
public enum ObjectAccess
{
    ReadOnly,
    ReadWrite,
}

/// <summary>Whether the value change of a parameter can be subscribed to.</summary>
public enum ValueChangeSupport
{
    Allowed,
    WillIgnore,
}

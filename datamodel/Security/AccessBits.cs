namespace Usp.DataModel.Security;

/// <summary>The four TR-181 permission letters, in their fixed "rwxn" order.</summary>
[Flags]
public enum AccessBits
{
    None = 0,
    Read = 1,
    Write = 2,
    Execute = 4,
    Notify = 8,
}

/// <summary>Parses TR-181 permission strings such as <c>r-xn</c>.</summary>
public static class PermissionString
{
    private const string Letters = "rwxn";

    /// <summary>
    /// Each position grants its letter only when it holds that letter; anything else (normally '-')
    /// denies it, so a malformed value never grants more than it spells out.
    /// </summary>
    public static AccessBits Parse(string? value)
    {
        var bits = AccessBits.None;
        if (value is null)
            return bits;
        for (int i = 0; i < Letters.Length && i < value.Length; i++)
        {
            if (char.ToLowerInvariant(value[i]) == Letters[i])
                bits |= (AccessBits)(1 << i);
        }
        return bits;
    }
}

/// <summary>Which of a Permission's four strings applies to a path.</summary>
public enum TargetKind
{
    /// <summary><c>Param</c>: parameters (read, write, ValueChange).</summary>
    Parameter,
    /// <summary><c>Obj</c>: objects and tables (resolve in Get/GSDM, Add, ObjectCreation).</summary>
    Object,
    /// <summary><c>InstantiatedObj</c>: table rows (GetInstances, Delete, ObjectDeletion).</summary>
    InstantiatedObject,
    /// <summary><c>CommandEvent</c>: commands and events (GSDM, Operate, OperationComplete/Event).</summary>
    CommandEvent,
}

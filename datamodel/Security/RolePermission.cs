namespace Usp.DataModel.Security;

/// <summary>One enabled <c>ControllerTrust.Role.{i}.Permission.{i}.</c> row, parsed.</summary>
internal sealed record RolePermission(
    uint Order, IReadOnlyList<PermissionTarget> Targets,
    AccessBits Param, AccessBits Obj, AccessBits InstantiatedObj, AccessBits CommandEvent)
{
    public bool Covers(ReadOnlySpan<char> path)
    {
        // Indexed: foreach over an IReadOnlyList boxes its enumerator, once per parameter of a Get.
        for (int i = 0; i < Targets.Count; i++)
        {
            if (Targets[i].Covers(path))
                return true;
        }
        return false;
    }

    public AccessBits For(TargetKind kind) => kind switch
    {
        TargetKind.Parameter => Param,
        TargetKind.Object => Obj,
        TargetKind.InstantiatedObject => InstantiatedObj,
        _ => CommandEvent,
    };
}

/// <summary>An enabled Role: its Permissions, highest Order first.</summary>
internal sealed class Role(string path, string name, IReadOnlyList<RolePermission> permissions)
{
    /// <summary>Instance path without the trailing dot, as references store it.</summary>
    public string Path { get; } = path;
    public string Name { get; } = name;
    public IReadOnlyList<RolePermission> Permissions { get; } = permissions.OrderByDescending(p => p.Order).ToList();

    /// <summary>
    /// What this Role grants on <paramref name="path"/>: the Permission with the highest Order whose
    /// Targets cover it decides alone (TR-181 Permission.{i}.Order); none covering it grants nothing.
    /// </summary>
    public AccessBits Grants(ReadOnlySpan<char> path, TargetKind kind)
    {
        for (int i = 0; i < Permissions.Count; i++)
        {
            if (Permissions[i].Covers(path))
                return Permissions[i].For(kind);
        }
        return AccessBits.None;
    }
}

using System.Globalization;
using Usp.DataModel.Areas;
using Usp.DataModel.Paths;
using Usp.DataModel.Store;

namespace Usp.DataModel.Security;

/// <summary>
/// A read-only picture of <c>Device.LocalAgent.ControllerTrust.</c>: the enabled Roles with their
/// enabled Permissions, and the UntrustedRole / SecuredRoles lists. Built from the tree whenever the
/// policy finds its cached copy stale.
/// </summary>
internal sealed class ControllerTrustModel
{
    public const string TrustPath = "Device.LocalAgent.ControllerTrust.";

    private readonly Dictionary<string, Role> _roles;

    private ControllerTrustModel(Dictionary<string, Role> roles, IReadOnlyList<string> untrusted,
        IReadOnlyList<string> secured, string banned, bool dependsOnSearches)
    {
        BannedRole = banned;
        _roles = roles;
        UntrustedRoles = untrusted;
        SecuredRoles = secured.Select(r => r.TrimEnd('.')).ToHashSet(StringComparer.Ordinal);
        DependsOnSearches = dependsOnSearches;
    }

    public IReadOnlyList<string> UntrustedRoles { get; }
    /// <summary>The SecuredRoles, as Role paths without the trailing dot (as <see cref="Role.Path"/>).</summary>
    public IReadOnlySet<string> SecuredRoles { get; }
    /// <summary>The Role (path without trailing dot) whose holders get nothing at all; "" when unset.</summary>
    public string BannedRole { get; }
    /// <summary>True when some Target uses a search expression, whose matches change with any data.</summary>
    public bool DependsOnSearches { get; }

    /// <summary>The enabled Role at <paramref name="reference"/> (with or without trailing dot), or null.</summary>
    public Role? FindRole(string reference) => _roles.GetValueOrDefault(reference.Trim().TrimEnd('.'));

    public static ControllerTrustModel Build(DataModelTree tree)
    {
        var trust = tree.Find(TrustPath);
        var roles = new Dictionary<string, Role>(StringComparer.Ordinal);
        var resolver = new PathResolver(tree);
        bool searches = false;
        var rows = trust?.Table("Role")?.Rows.ToList() ?? [];
        foreach (var row in rows)
        {
            if (row.GetValue("Enable") != "true")
                continue;
            var permissions = new List<RolePermission>();
            foreach (var p in row.Table("Permission")?.Rows ?? [])
            {
                if (p.GetValue("Enable") != "true")
                    continue;
                var targets = new List<PermissionTarget>();
                foreach (var entry in SplitList(p.GetValue("Targets")))
                {
                    if (PermissionTarget.Parse(entry, prefix => InstanceNumbers(resolver, prefix)) is { } target)
                    {
                        targets.Add(target);
                        searches |= target.HasSearchExpression;
                    }
                }
                uint order = uint.TryParse(p.GetValue("Order"), NumberStyles.None, CultureInfo.InvariantCulture, out var o) ? o : 0;
                permissions.Add(new RolePermission(order, targets,
                    PermissionString.Parse(p.GetValue("Param")), PermissionString.Parse(p.GetValue("Obj")),
                    PermissionString.Parse(p.GetValue("InstantiatedObj")), PermissionString.Parse(p.GetValue("CommandEvent"))));
            }
            var path = row.Path.TrimEnd('.');
            roles[path] = new Role(path, row.GetValue("Name") ?? "", permissions);
        }
        return new ControllerTrustModel(roles,
            SplitList(trust?.GetValue("UntrustedRole")), SplitList(trust?.GetValue("SecuredRoles")),
            (trust?.GetValue("BannedRole") ?? "").Trim().TrimEnd('.'), searches);
    }

    public static IReadOnlyList<string> SplitList(string? value) =>
        string.IsNullOrWhiteSpace(value)
            ? []
            : value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static IReadOnlyCollection<string>? InstanceNumbers(PathResolver resolver, string prefix)
    {
        var r = resolver.Resolve(prefix);
        if (!r.Ok)
            return null;
        return r.Objects.Select(o => o.InstanceNumber.ToString(CultureInfo.InvariantCulture)).ToList();
    }

    /// <summary>True for changes that can alter what a Controller may do.</summary>
    public static bool Affects(DataModelChange change) =>
        change.Path.StartsWith(TrustPath, StringComparison.Ordinal)
        || change.Path.StartsWith(LocalAgentArea.ControllerTable, StringComparison.Ordinal);
}

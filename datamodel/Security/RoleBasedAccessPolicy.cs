using Usp.DataModel.Paths;
using Usp.DataModel.Store;

namespace Usp.DataModel.Security;

/// <summary>
/// Controller trust from the data model (TR-181 <c>Device.LocalAgent.ControllerTrust.</c>): a
/// Controller's Roles are its <c>AssignedRole</c> and <c>InheritedRole</c> (or, without a Controller
/// row, the roles its certificate gave it); with none of those it has the <c>UntrustedRole</c>.
/// Within one Role the covering Permission with the highest Order decides; across Roles the grants
/// are united; a Controller holding the <c>BannedRole</c> gets nothing. Secured parameter values need a Role listed in <c>SecuredRoles</c> and an encrypted MTP.
/// A factory file that defines no Role (OB-USP-Agent's) gets OB-USP-Agent's built-in roles as rows at first start
/// (<see cref="Defaults.BuiltInRoles"/>): there is no special mode without roles.
/// The parsed model is cached and rebuilt after a commit that touches ControllerTrust or Controller.
/// </summary>
public sealed class RoleBasedAccessPolicy : IAccessPolicy
{
    private readonly DataModelStore _store;
    private ControllerTrustModel? _model;
    private DataModelTree? _builtFor;
    private readonly Dictionary<string, IReadOnlyList<Role>> _rolesByController = new(StringComparer.Ordinal);
    // A message asks once per parameter with the same RequestingController: answered without building the key.
    private (RequestingController? Controller, IReadOnlyList<Role> Roles) _lastAsked = (null, []);

    public RoleBasedAccessPolicy(DataModelStore store)
    {
        _store = store;
        store.ChangesCommitted += OnChangesCommitted;
    }

    private const int MaxPathOnStack = 256;

    public bool IsAllowed(RequestingController controller, string path, Permission permission) =>
        IsAllowed(controller, path.AsSpan(), permission);

    /// <remarks>Asked once per parameter of a Get: the parameter's path is put together on the stack.</remarks>
    public bool IsAllowed(RequestingController controller, string objectPath, string name, Permission permission)
    {
        int length = objectPath.Length + name.Length;
        if (length > MaxPathOnStack)
            return IsAllowed(controller, objectPath + name, permission);
        Span<char> path = stackalloc char[MaxPathOnStack];
        objectPath.CopyTo(path);
        name.CopyTo(path[objectPath.Length..]);
        return IsAllowed(controller, path[..length], permission);
    }

    private bool IsAllowed(RequestingController controller, ReadOnlySpan<char> path, Permission permission)
    {
        var model = Model();
        if (permission == Permission.None)
            return true;
        // Called once per parameter of a Get: the path is read in place, not split into strings.
        var trimmed = path.TrimEnd('.');
        var roles = RolesOf(controller, model);
        if (permission == Permission.ReadSecured)
        {
            if (!controller.OverEncryptedMtp)
                return false;
            foreach (var role in roles)
            {
                if (model.SecuredRoles.Contains(role.Path) && role.Grants(trimmed, TargetKind.Parameter).HasFlag(AccessBits.Read))
                    return true;
            }
            return false;
        }
        for (int bit = 1; bit <= (int)permission; bit <<= 1)
        {
            var single = (Permission)bit;
            if (!permission.HasFlag(single))
                continue;
            if (PermissionMapping.For(path, trimmed, single) is not { } need)
                return false;
            if (!AnyGrants(roles, trimmed, need.Kind, need.Bit))
                return false;
        }
        return true;
    }

    private static bool AnyGrants(IReadOnlyList<Role> roles, ReadOnlySpan<char> path, TargetKind kind, AccessBits bit)
    {
        for (int i = 0; i < roles.Count; i++)
        {
            if (roles[i].Grants(path, kind).HasFlag(bit))
                return true;
        }
        return false;
    }

    /// <summary>
    /// The enabled Roles that apply to <paramref name="controller"/>, memoised with the model (a Get of
    /// a large tree asks once per parameter): Controller-row roles only change with the model.
    /// </summary>
    private IReadOnlyList<Role> RolesOf(RequestingController controller, ControllerTrustModel model)
    {
        if (ReferenceEquals(_lastAsked.Controller, controller))
            return _lastAsked.Roles;
        var key = controller.ControllerRow is { } row ? row.Path : "\0" + string.Join(',', controller.CredentialRoles);
        if (!_rolesByController.TryGetValue(key, out var roles))
        {
            roles = ComputeRoles(controller, model);
            _rolesByController[key] = roles;
        }
        _lastAsked = (controller, roles);
        return roles;
    }

    private static List<Role> ComputeRoles(RequestingController controller, ControllerTrustModel model)
    {
        IEnumerable<string> references;
        if (controller.ControllerRow is { } row)
        {
            references = ControllerTrustModel.SplitList(row.GetValue("AssignedRole"))
                .Concat(ControllerTrustModel.SplitList(row.GetValue("InheritedRole")));
        }
        else
        {
            references = controller.CredentialRoles;
        }
        var list = references.Select(r => r.Trim().TrimEnd('.')).ToList();
        if (list.Count == 0)
            list.AddRange(model.UntrustedRoles);
        // TR-181 BannedRole: a banned Controller gets nothing, whatever else it holds.
        if (model.BannedRole.Length > 0 && list.Contains(model.BannedRole))
            return [];
        return list.Select(model.FindRole).OfType<Role>().Distinct().ToList();
    }

    private ControllerTrustModel Model()
    {
        if (_model is null || _builtFor != _store.Tree)
        {
            _rolesByController.Clear();
            _lastAsked = (null, []);
            _builtFor = _store.Tree;
            _model = ControllerTrustModel.Build(_store.Tree);
        }
        return _model;
    }

    private void OnChangesCommitted(object? sender, ChangesCommittedEventArgs e)
    {
        if (_model is { DependsOnSearches: true } || e.Changes.Any(ControllerTrustModel.Affects))
            _model = null;
    }
}

/// <summary>Which permission string and letter a request needs on a path (TR-181 Permission.{i}).</summary>
internal static class PermissionMapping
{
    /// <param name="trimmed"><paramref name="path"/> without its trailing '.'.</param>
    public static (TargetKind Kind, AccessBits Bit)? For(ReadOnlySpan<char> path, ReadOnlySpan<char> trimmed, Permission permission)
    {
        if (permission == Permission.Execute)
            return (TargetKind.CommandEvent, AccessBits.Execute);
        if (path is [.., '(', ')'] or [.., '!'])
        {
            return permission switch
            {
                Permission.Read => (TargetKind.CommandEvent, AccessBits.Read),
                Permission.Subscribe => (TargetKind.CommandEvent, AccessBits.Notify),
                _ => null,
            };
        }
        if (path is [.., '.'])
        {
            return permission switch
            {
                Permission.Read => (TargetKind.Object, AccessBits.Read),
                Permission.Add or Permission.Write => (TargetKind.Object, AccessBits.Write),
                Permission.Delete => (TargetKind.InstantiatedObject, AccessBits.Write),
                Permission.ReadInstances => (TargetKind.InstantiatedObject, AccessBits.Read),
                Permission.Subscribe => PathSegments.IsInstance(PathSegmentReader.Last(trimmed)) ? (TargetKind.InstantiatedObject, AccessBits.Notify) : (TargetKind.Object, AccessBits.Notify),
                _ => null,
            };
        }
        return permission switch
        {
            Permission.Read => (TargetKind.Parameter, AccessBits.Read),
            Permission.Write => (TargetKind.Parameter, AccessBits.Write),
            Permission.Subscribe => (TargetKind.Parameter, AccessBits.Notify),
            _ => null,
        };
    }
}

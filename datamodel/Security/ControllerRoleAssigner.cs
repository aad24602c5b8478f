using Usp.DataModel.Store;

namespace Usp.DataModel.Security;

/// <summary>
/// Keeps a Controller row's Role parameters in step with what the MTP learnt: writes the
/// certificate-derived roles into <c>InheritedRole</c> and gives a Controller that has no Role at all
/// the <c>UntrustedRole</c> (written to <c>AssignedRole</c>, TR-369 "Assigning Controller Roles").
/// </summary>
internal sealed class ControllerRoleAssigner(DataModelStore store, IEngineLog log)
{
    public void OnContact(DmObject? controllerRow, IReadOnlyList<string>? inheritedRoles)
    {
        if (controllerRow is null)
            return;
        var trust = store.Tree.Find(ControllerTrustModel.TrustPath);
        var roleRows = trust?.Table("Role")?.Rows.Select(r => r.Path.TrimEnd('.')).ToHashSet(StringComparer.Ordinal) ?? [];
        var tx = store.Begin(null);
        var inherited = ControllerTrustModel.SplitList(controllerRow.GetValue("InheritedRole"));
        if (inheritedRoles is not null)
        {
            var wanted = inheritedRoles.Select(r => r.Trim().TrimEnd('.')).Where(roleRows.Contains).Distinct().ToList();
            if (!wanted.SequenceEqual(inherited, StringComparer.Ordinal))
            {
                tx.SetValue(controllerRow, "InheritedRole", string.Join(',', wanted));
                inherited = wanted;
            }
        }
        var assigned = ControllerTrustModel.SplitList(controllerRow.GetValue("AssignedRole"));
        if (assigned.Count == 0 && inherited.Count == 0)
        {
            var untrusted = ControllerTrustModel.SplitList(trust?.GetValue("UntrustedRole"));
            if (untrusted.Count > 0)
            {
                tx.SetValue(controllerRow, "AssignedRole", string.Join(',', untrusted));
                log.Info($"{controllerRow.GetValue("EndpointID")} ({controllerRow.Path}) had no Role; assigned the UntrustedRole {string.Join(',', untrusted)}.");
            }
        }
        if (!store.Commit(tx, out var error))
            log.Warning($"Could not record the Roles of {controllerRow.Path}: {error}");
    }
}

using Usp.DataModel.Security;
using Usp.DataModel.Store;

namespace Usp.DataModel.Defaults;

/// <summary>
/// The roles OB-USP-Agent builds in, made real rows when the factory defaults define no Role at all (OB-USP-Agent's
/// files never do; they refer to its roles by number): <c>Role.1</c> full access and <c>Role.2</c> untrusted, also
/// the <c>UntrustedRole</c> unless the file names one. Controllers the file assigns to them keep their access when
/// roles are added later, exactly as on OB-USP-Agent.
/// </summary>
internal static class BuiltInRoles
{
    public const string FullAccess = ControllerTrustModel.TrustPath + "Role.1";
    public const string Untrusted = ControllerTrustModel.TrustPath + "Role.2";
    /// <summary>Database meta key: set once the factory defaults (or an older database) were checked for roles.</summary>
    public const string CheckedKey = "builtin_roles_checked";

    /// <summary>Adds the built-in roles when no Role row exists; true when it did.</summary>
    public static bool AddIfNoneDefined(DmTransaction tx, DataModelTree tree, TimeProvider time, IEngineLog log)
    {
        var trust = tree.Find(ControllerTrustModel.TrustPath);
        if (trust?.Table("Role") is not { Count: 0 })
            return false;
        var entries = new List<FactoryDefault>();
        Role(entries, FullAccess, "full-access", "Full Access", "Device.", "rw-n", "rw-n", "rw-n", "r-xn");
        // Untrusted: nothing at all, spelt out so a Get of the role shows it.
        Role(entries, Untrusted, "untrusted", "Untrusted", "Device.", "----", "----", "----", "----");
        if (string.IsNullOrEmpty(trust.GetValue("UntrustedRole")))
            entries.Add(new FactoryDefault(0, ControllerTrustModel.TrustPath + "UntrustedRole", Untrusted));
        FactoryDefaultsApplier.Apply(tx, tree, entries, new Dictionary<string, string>(), time, log);
        log.Info($"No ControllerTrust Role is defined: created the built-in {FullAccess} (full access) and {Untrusted} (untrusted), as OB-USP-Agent has them.");
        return true;
    }

    /// <summary>
    /// A database made by an earlier version, which gave Controllers of a Role-less factory file full access without
    /// Role rows, gets the rows once, at its first open by this version.
    /// </summary>
    public static void AddToOlderDatabase(DataModelStore store, TimeProvider time, IEngineLog log)
    {
        if (store.GetMeta(CheckedKey) is not null)
            return;
        var tx = store.Begin(null);
        if (AddIfNoneDefined(tx, store.Tree, time, log) && !store.Commit(tx, out var error))
            throw new IOException(error);
        store.SetMeta(CheckedKey, "1");
    }

    private static void Role(List<FactoryDefault> entries, string path, string alias, string name, string targets,
        string param, string obj, string instantiatedObj, string commandEvent)
    {
        void Add(string relative, string value) => entries.Add(new FactoryDefault(0, $"{path}.{relative}", value));
        Add("Alias", alias);
        Add("Enable", "true");
        Add("Name", name);
        Add("Permission.1.Alias", alias);
        Add("Permission.1.Enable", "true");
        Add("Permission.1.Order", "1");
        Add("Permission.1.Targets", targets);
        Add("Permission.1.Param", param);
        Add("Permission.1.Obj", obj);
        Add("Permission.1.InstantiatedObj", instantiatedObj);
        Add("Permission.1.CommandEvent", commandEvent);
    }
}

using System.Text;
using System.Text.Json;
using Usp.DataModel.Paths;
using Usp.DataModel.Store;

namespace Usp.DataModel.Notifications;

/// <summary>Why the agent (re)started, as reported in <c>Device.Boot!</c>'s Cause.</summary>
public static class BootCause
{
    public const string LocalReboot = "LocalReboot";
    public const string RemoteReboot = "RemoteReboot";
    public const string LocalFactoryReset = "LocalFactoryReset";
    public const string RemoteFactoryReset = "RemoteFactoryReset";
}

/// <summary>
/// What happens at every start: <c>Device.Boot!</c> (Cause and CommandKey recorded before the
/// restart, FirmwareUpdated, the Controller's enabled BootParameters as a JSON ParameterMap),
/// then non-persistent subscriptions and leftover Request rows are removed.
/// </summary>
internal sealed class BootNotifier(NotificationService service, string softwareVersion, Func<(string Cause, string CommandKey)?> takeStartCause)
{
    public const string CauseKey = "boot_cause";
    public const string CommandKeyKey = "boot_command_key";
    public const string SoftwareVersionKey = "last_software_version";

    /// <summary>Remembers why the next start happens (kept in the database's meta table).</summary>
    public static void Record(DataModelStore store, string cause, string commandKey, bool overwrite = true)
    {
        if (!overwrite && store.GetMeta(CauseKey) is not null)
            return;
        store.SetMeta(CauseKey, cause);
        store.SetMeta(CommandKeyKey, commandKey);
    }

    /// <summary>The cause recorded for the next start, if any.</summary>
    public static (string Cause, string CommandKey)? Peek(DataModelStore store) =>
        store.GetMeta(CauseKey) is { } cause ? (cause, store.GetMeta(CommandKeyKey) ?? "") : null;

    /// <summary>Takes the recorded cause out of the database (see <see cref="UspEngine.TakeBootCause"/>).</summary>
    public static (string Cause, string CommandKey)? Take(DataModelStore store)
    {
        var recorded = Peek(store);
        store.DeleteMeta(CauseKey);
        store.DeleteMeta(CommandKeyKey);
        return recorded;
    }

    public void OnStart()
    {
        var store = service.Store;
        var startCause = takeStartCause();
        var cause = startCause?.Cause ?? BootCause.LocalReboot;
        var commandKey = startCause?.CommandKey ?? "";
        var lastVersion = store.GetMeta(SoftwareVersionKey);
        bool firmwareUpdated = lastVersion is not null && lastVersion != softwareVersion;
        store.SetMeta(SoftwareVersionKey, softwareVersion);

        service.Changes.EventRaised("Device.", "Boot!", controller => new Dictionary<string, string>
        {
            ["CommandKey"] = commandKey,
            ["Cause"] = cause,
            ["FirmwareUpdated"] = firmwareUpdated ? "true" : "false",
            ["ParameterMap"] = ParameterMap(controller),
        });

        var leftovers = SubscriptionRow.All(service.Tree).Where(s => !s.Persistent).Select(s => s.Row)
            .Concat(service.Tree.Find("Device.LocalAgent.")?.Table("Request")?.Rows ?? [])
            .ToList();
        service.Changes.DeleteRows(leftovers, "non-persistent subscriptions and requests do not survive a restart");
    }

    /// <summary>
    /// JSON object of path → value for the Controller's enabled BootParameter.{i}.ParameterName entries,
    /// limited to what the Controller may read (secured values read as "").
    /// </summary>
    private string ParameterMap(DmObject controller)
    {
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var bp in controller.Table("BootParameter")?.Rows ?? [])
        {
            if (bp.GetValue("Enable") != "true" || bp.GetValue("ParameterName") is not { Length: > 0 } name)
                continue;
            foreach (var (obj, param) in ReferenceMatcher.Parameters(service.Tree, name))
            {
                var path = obj.Path + param.Name;
                if (service.Trust.MayRead(controller, path))
                    values[path] = service.Trust.VisibleValue(controller, param, path, obj.GetValue(param));
            }
            if (!new PathResolver(service.Tree).Resolve(name).Ok)
                service.Log.Warning($"{bp.Path}ParameterName '{name}' does not resolve; left out of Boot!'s ParameterMap.");
        }
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (path, value) in values)
                json.WriteString(path, value);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}

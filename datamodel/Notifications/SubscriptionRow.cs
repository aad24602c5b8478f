using System.Globalization;
using Usp.DataModel.Schema;
using Usp.DataModel.Store;

namespace Usp.DataModel.Notifications;

/// <summary>A typed view of one <c>Device.LocalAgent.Subscription.{i}.</c> row.</summary>
internal sealed class SubscriptionRow(DmObject row)
{
    public const string TablePath = "Device.LocalAgent.Subscription.";

    public DmObject Row { get; } = row;
    public string Path => Row.Path;
    public string Id => Row.GetValue("ID") ?? "";
    public bool Enabled => Row.GetValue("Enable") == "true";
    public string NotifType => Row.GetValue("NotifType") ?? "";
    public bool NotifRetry => Row.GetValue("NotifRetry") == "true";
    public bool Persistent => Row.GetValue("Persistent") == "true";
    public uint NotifExpirationSeconds => UInt("NotifExpiration");
    public uint TimeToLiveSeconds => UInt("TimeToLive");
    public string TriggerAction => Row.GetValue("TriggerAction") ?? "Notify";
    public string TriggerConfigSettings => Row.GetValue("TriggerConfigSettings") ?? "";
    public string RecipientPath => Row.GetValue("Recipient") ?? "";

    public IReadOnlyList<string> References =>
        (Row.GetValue("ReferenceList") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    public DateTimeOffset? CreationDate =>
        ValueValidator.TryParseDateTime(Row.GetValue("CreationDate") ?? "", out var d) && d.Year > 1 ? d : null;

    /// <summary>When TimeToLive removes the row; null when it lives until deleted.</summary>
    public DateTimeOffset? ExpiresAt =>
        TimeToLiveSeconds > 0 && CreationDate is { } created ? created + TimeSpan.FromSeconds(TimeToLiveSeconds) : null;

    public bool Notifies => TriggerAction is "Notify" or "NotifyAndConfig";
    public bool Configures => TriggerAction is "Config" or "NotifyAndConfig";

    /// <summary>The recipient Controller row, when it exists and is enabled.</summary>
    public DmObject? Recipient(DataModelTree tree)
    {
        if (RecipientPath.Length == 0)
            return null;
        var controller = tree.Find(RecipientPath);
        return controller?.GetValue("Enable") == "true" ? controller : null;
    }

    public static IEnumerable<SubscriptionRow> All(DataModelTree tree) =>
        tree.Find("Device.LocalAgent.")?.Table("Subscription")?.Rows.Select(r => new SubscriptionRow(r)) ?? [];

    /// <summary>Enabled subscriptions of <paramref name="notifType"/> whose recipient Controller is enabled.</summary>
    public static IEnumerable<(SubscriptionRow Subscription, DmObject Controller)> Active(DataModelTree tree, string notifType)
    {
        foreach (var s in All(tree))
        {
            if (!s.Enabled || s.NotifType != notifType)
                continue;
            if (s.Recipient(tree) is { } controller)
                yield return (s, controller);
        }
    }

    private uint UInt(string name) =>
        uint.TryParse(Row.GetValue(name), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
}

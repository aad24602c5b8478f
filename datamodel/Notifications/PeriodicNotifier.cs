using System.Globalization;
using Usp.DataModel.Schema;
using Usp.DataModel.Store;

namespace Usp.DataModel.Notifications;

/// <summary>
/// <c>Device.LocalAgent.Periodic!</c>: per Controller, at PeriodicNotifTime + k·PeriodicNotifInterval,
/// sent to that Controller's Event subscriptions covering it. Runs under the engine lock.
/// </summary>
internal sealed class PeriodicNotifier(NotificationService service)
{
    public const string ObjectPath = "Device.LocalAgent.";
    public const string EventName = "Periodic!";
    private readonly Dictionary<string, DateTimeOffset> _next = new(StringComparer.Ordinal);

    public void Reset(string controllerPath) => _next.Remove(controllerPath);

    public DateTimeOffset? NextDue() => _next.Count == 0 ? null : _next.Values.Min();

    public void SendDue(DateTimeOffset now)
    {
        var controllers = service.Tree.Find(ObjectPath)?.Table("Controller")?.Rows.ToList() ?? [];
        foreach (var stale in _next.Keys.Where(k => controllers.All(c => c.Path != k)).ToList())
            _next.Remove(stale);
        foreach (var controller in controllers)
        {
            if (!Subscribed(controller))
            {
                _next.Remove(controller.Path);
                continue;
            }
            var (reference, interval) = Schedule(controller);
            if (!_next.TryGetValue(controller.Path, out var due))
            {
                due = PeriodicSchedule.NextAtOrAfter(reference, interval, now);
                _next[controller.Path] = due;
            }
            if (now < due)
                continue;
            service.Changes.EventRaised(ObjectPath, EventName, _ => new Dictionary<string, string>(), c => c == controller);
            _next[controller.Path] = PeriodicSchedule.NextAtOrAfter(reference, interval, now + TimeSpan.FromTicks(1));
        }
    }

    private bool Subscribed(DmObject controller) =>
        SubscriptionRow.Active(service.Tree, "Event").Any(x => x.Controller == controller
            && x.Subscription.References.Any(r => ReferenceMatcher.CoversElement(service.Tree, r, ObjectPath, EventName)));

    private (DateTimeOffset Reference, TimeSpan Interval) Schedule(DmObject controller)
    {
        uint seconds = uint.TryParse(controller.GetValue("PeriodicNotifInterval"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 86400;
        // An unknown PeriodicNotifTime (0001-01-01) lets the agent pick the phase: its start time.
        var reference = ValueValidator.TryParseDateTime(controller.GetValue("PeriodicNotifTime") ?? "", out var t) && t.Year > 1
            ? t : service.StartedAt;
        return (reference, TimeSpan.FromSeconds(seconds));
    }
}

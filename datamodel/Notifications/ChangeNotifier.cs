using Usp.DataModel.Paths;
using Usp.DataModel.Schema;
using Usp.DataModel.Store;

namespace Usp.DataModel.Notifications;

/// <summary>
/// Turns committed data model changes into ValueChange, ObjectCreation and ObjectDeletion
/// notifications, applies TriggerAction Config settings, and keeps the Subscription table clean
/// (orphaned and expired rows). A notification reaches a recipient only as far as its Controller
/// trust allows (<see cref="RecipientTrust"/>). Everything here runs under the engine lock.
/// </summary>
internal sealed class ChangeNotifier(NotificationService service)
{
    private const string ControllerTablePath = "Device.LocalAgent.Controller.";
    private int _depth;

    /// <summary>Raised by the engine's ChangesCommitted (engine lock held, possibly re-entered by our own commits).</summary>
    public void OnChangesCommitted(ChangesCommittedEventArgs e)
    {
        _depth++;
        try
        {
            var configs = new List<SubscriptionRow>();
            var active = new ActiveSubscriptions(service.Tree);
            bool structureChanged = false;
            bool controllerDeleted = false;
            foreach (var change in e.Changes)
            {
                switch (change)
                {
                    case ParameterChanged p:
                        OnParameterChanged(p, configs, active);
                        structureChanged |= p.Path.StartsWith(SubscriptionRow.TablePath, StringComparison.Ordinal);
                        break;
                    case ObjectCreated c:
                        service.Trust.RequestRowCreated(service.Tree, c.Path);
                        Notify(active.Of("ObjectCreation"), c.Path, TablePathOf(c.Path), configs, s => NotifyMessages.ObjectCreation(s.Id, false, c.Path, c.UniqueKeys));
                        structureChanged = true;
                        break;
                    case ObjectDeleted d:
                        Notify(active.Of("ObjectDeletion"), d.Path, d.Path, configs, s => NotifyMessages.ObjectDeletion(s.Id, false, d.Path));
                        service.Trust.RequestRowDeleted(d.Path);
                        structureChanged = true;
                        controllerDeleted |= IsRowOf(d.Path, ControllerTablePath);
                        break;
                }
            }
            if (structureChanged)
                service.Poller.Invalidate();
            if (controllerDeleted)
                RemoveOrphanedSubscriptions();
            // Config changes made by a Config trigger do not trigger further Config (no loops).
            if (_depth == 1)
            {
                ApplyConfigs(configs);
                // The loop sleeps until something is due: a change may have made something due (a TimeToLive, a poll).
                service.Wake();
            }
        }
        finally
        {
            _depth--;
        }
    }

    /// <summary>Notifies ValueChange subscriptions covering <paramref name="path"/> (and collects Config triggers).</summary>
    public void ValueChanged(string path, string value, List<SubscriptionRow>? configs = null, ActiveSubscriptions? active = null)
    {
        ParamSchema? param = null;
        foreach (var (s, controller) in (active ?? new ActiveSubscriptions(service.Tree)).Of("ValueChange"))
        {
            if (!s.References.Any(r => ReferenceMatcher.CoversParameter(service.Tree, r, path)))
                continue;
            if (s.Notifies && service.Trust.MayNotify(controller, path) && service.Trust.MayHearAboutRequest(controller, service.Tree, path))
            {
                param ??= FindParam(path);
                service.Enqueue(s, controller, NotifyMessages.ValueChange(s.Id, false, path, service.Trust.VisibleValue(controller, param, path, value)));
            }
            if (s.Configures)
                configs?.Add(s);
        }
    }

    /// <summary>Sends <c>objectPath + eventName</c> to the Event subscriptions covering it.</summary>
    public void EventRaised(string objectPath, string eventName, Func<DmObject, IReadOnlyDictionary<string, string>> argsFor,
        Func<DmObject, bool>? toController = null)
    {
        foreach (var (s, controller) in SubscriptionRow.Active(service.Tree, "Event").ToList())
        {
            if (toController is not null && !toController(controller))
                continue;
            if (!s.References.Any(r => ReferenceMatcher.CoversElement(service.Tree, r, objectPath, eventName)))
                continue;
            if (s.Notifies && service.Trust.MayNotify(controller, objectPath + eventName))
                service.Enqueue(s, controller, NotifyMessages.Event(s.Id, false, objectPath, eventName, argsFor(controller)));
        }
    }

    /// <summary>OperationComplete goes to the invoking Controller's subscriptions covering the command.</summary>
    public void OperationCompleted(OperationCompletion completion)
    {
        foreach (var (s, controller) in SubscriptionRow.Active(service.Tree, "OperationComplete").ToList())
        {
            if (controller.GetValue("EndpointID") != completion.Originator)
                continue;
            if (!s.References.Any(r => ReferenceMatcher.CoversElement(service.Tree, r, completion.ObjPath, completion.CommandName)))
                continue;
            if (!service.Trust.MayNotify(controller, completion.ObjPath + completion.CommandName))
                continue;
            service.Enqueue(s, controller, NotifyMessages.OperationComplete(s.Id, false, completion));
        }
    }

    /// <summary>Deletes subscriptions whose TimeToLive has run out since their CreationDate.</summary>
    public void ExpireSubscriptions(DateTimeOffset now)
    {
        var expired = SubscriptionRow.All(service.Tree).Where(s => s.ExpiresAt <= now).ToList();
        if (expired.Count == 0)
            return;
        DeleteRows(expired.Select(s => s.Row), "their TimeToLive expired");
    }

    /// <summary>When the next subscription's TimeToLive runs out; null when none has one.</summary>
    public DateTimeOffset? NextSubscriptionExpiry()
    {
        DateTimeOffset? next = null;
        foreach (var subscription in SubscriptionRow.All(service.Tree))
        {
            if (subscription.ExpiresAt is { } at && (next is null || at < next))
                next = at;
        }
        return next;
    }

    /// <summary>Deletes the given rows in one local transaction.</summary>
    public void DeleteRows(IEnumerable<DmObject> rows, string why)
    {
        var list = rows.ToList();
        if (list.Count == 0)
            return;
        var tx = service.Store.Begin(null);
        foreach (var row in list)
            tx.DeleteRow(row);
        if (service.Store.Commit(tx, out var error))
            service.Log.Info($"Removed {string.Join(", ", list.Select(r => r.Path))}: {why}.");
        else
            service.Log.Error($"Could not remove {string.Join(", ", list.Select(r => r.Path))} ({why}): {error}");
    }

    private ParamSchema? FindParam(string parameterPath)
    {
        int dot = parameterPath.LastIndexOf('.');
        return service.Tree.Find(parameterPath[..(dot + 1)])?.Schema.FindParam(parameterPath[(dot + 1)..]);
    }

    private void OnParameterChanged(ParameterChanged p, List<SubscriptionRow> configs, ActiveSubscriptions active)
    {
        int dot = p.Path.LastIndexOf('.');
        var owner = service.Tree.Find(p.Path[..(dot + 1)]);
        var param = owner?.Schema.FindParam(p.Path[(dot + 1)..]);
        if (param is null || param.ValueChange == ValueChangeSupport.WillIgnore)
            return;
        ValueChanged(p.Path, p.NewValue, configs, active);
        if (owner is not null && IsRowOf(owner.Path, ControllerTablePath))
        {
            if (param.Name is "PeriodicNotifInterval" or "PeriodicNotifTime" or "Enable")
                service.Periodic.Reset(owner.Path);
            if (param.Name == "OnBoardingComplete" && p.NewValue == "true")
                service.OnBoarding.Completed(owner.Path);
        }
    }

    /// <param name="permissionPath">What the recipient needs 'n' on: the table for ObjectCreation, the row for ObjectDeletion.</param>
    private void Notify(IReadOnlyList<(SubscriptionRow Subscription, DmObject Controller)> subscriptions, string rowPath, string permissionPath,
        List<SubscriptionRow> configs, Func<SubscriptionRow, Usp.Proto.Notify> build)
    {
        foreach (var (s, controller) in subscriptions)
        {
            // A subscription does not report its own creation.
            if (s.Path == rowPath || !s.References.Any(r => ReferenceMatcher.CoversRow(service.Tree, r, rowPath)))
                continue;
            if (s.Notifies && service.Trust.MayNotify(controller, permissionPath) && service.Trust.MayHearAboutRequest(controller, service.Tree, rowPath))
                service.Enqueue(s, controller, build(s));
            if (s.Configures)
                configs.Add(s);
        }
    }

    /// <summary>R-ARC / 1.78: a Subscription whose Recipient Controller was deleted is deleted too.</summary>
    private void RemoveOrphanedSubscriptions()
    {
        var orphans = SubscriptionRow.All(service.Tree)
            .Where(s => s.RecipientPath.Length == 0 || service.Tree.Find(s.RecipientPath) is null)
            .Select(s => s.Row)
            .ToList();
        DeleteRows(orphans, "their Recipient Controller was deleted");
    }

    /// <summary>TriggerAction Config: TriggerConfigSettings is a list of <c>ParamPath=Value</c> items.</summary>
    private void ApplyConfigs(List<SubscriptionRow> configs)
    {
        foreach (var s in configs.DistinctBy(s => s.Path))
        {
            if (service.Tree.Find(s.Path) is null || s.Recipient(service.Tree) is not { } controller)
                continue;
            var tx = service.Store.Begin(null);
            var problems = new List<string>();
            foreach (var item in s.TriggerConfigSettings.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = item.IndexOf('=');
                if (eq <= 0)
                {
                    problems.Add($"'{item}' is not ParamPath=Value");
                    continue;
                }
                var path = item[..eq].Trim();
                var value = item[(eq + 1)..].Trim();
                var r = new PathResolver(service.Tree).Resolve(path);
                if (!r.Ok || r.Leaf != LeafKind.Parameter || r.Schema?.FindParam(r.LeafName!) is not { } param || param.IsComputed)
                {
                    problems.Add($"{path} is not a stored parameter");
                    continue;
                }
                var check = ValueValidator.Check(param, value);
                if (!check.Ok)
                {
                    problems.Add(check.Error!);
                    continue;
                }
                foreach (var obj in r.Objects)
                {
                    if (service.Trust.MayWrite(controller, obj.Path + param.Name))
                        tx.SetValue(obj, param.Name, check.Value);
                    else
                        problems.Add($"its Controller may not write {obj.Path}{param.Name}");
                }
            }
            foreach (var problem in problems)
                service.Log.Warning($"{s.Path}TriggerConfigSettings: {problem}; skipped.");
            if (!service.Store.Commit(tx, out var error))
                service.Log.Error($"Applying {s.Path}TriggerConfigSettings failed: {error}");
        }
    }

    private static string TablePathOf(string rowPath)
    {
        var trimmed = rowPath.TrimEnd('.');
        return trimmed[..(trimmed.LastIndexOf('.') + 1)];
    }

    private static bool IsRowOf(string path, string tablePath)
    {
        if (!path.StartsWith(tablePath, StringComparison.Ordinal))
            return false;
        var rest = path[tablePath.Length..].TrimEnd('.');
        return rest.Length > 0 && rest.All(char.IsAsciiDigit);
    }

    /// <summary>
    /// The enabled subscriptions of each NotifType with their enabled recipient, read once per commit: a commit that
    /// creates thousands of rows (factory defaults, a large Add) must not scan the Subscription table once per row.
    /// </summary>
    internal sealed class ActiveSubscriptions(DataModelTree tree)
    {
        private readonly Dictionary<string, List<(SubscriptionRow Subscription, DmObject Controller)>> _byType = new(StringComparer.Ordinal);

        public List<(SubscriptionRow Subscription, DmObject Controller)> Of(string notifType)
        {
            if (!_byType.TryGetValue(notifType, out var list))
                _byType[notifType] = list = SubscriptionRow.Active(tree, notifType).ToList();
            return list;
        }
    }
}

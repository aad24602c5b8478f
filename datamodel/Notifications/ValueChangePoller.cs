using Usp.DataModel.Schema;
using Usp.DataModel.Store;

namespace Usp.DataModel.Notifications;

/// <summary>
/// ValueChange for computed (live) parameters, which cannot raise ChangesCommitted: those covered
/// by a ValueChange subscription are read every poll interval and compared with the last value.
/// Providers that report their own changes (<see cref="ParamSchema.SignalsValueChange"/>) are not polled.
/// Runs under the engine lock.
/// </summary>
internal sealed class ValueChangePoller(NotificationService service)
{
    private readonly Dictionary<string, Watched> _watched = new(StringComparer.Ordinal);
    private bool _stale = true;
    private bool _anyPolled;
    private DateTimeOffset _nextPoll = DateTimeOffset.MinValue;

    private sealed record Watched(DmObject Object, ParamSchema Param, bool Polled)
    {
        public string Last { get; set; } = "";
    }

    /// <summary>
    /// Subscriptions or rows changed: rebuild the watch list now, keeping the known values. Not lazily: a newly watched
    /// value's baseline must be its value when the subscription appeared, because a provider reports only after its
    /// value has changed (taken at that report, the baseline would already hold the new value and nothing would be sent).
    /// </summary>
    public void Invalidate()
    {
        _stale = true;
        Refresh();
    }

    public void PollIfDue(DateTimeOffset now)
    {
        Refresh();
        if (now < _nextPoll)
            return;
        _nextPoll = now + service.PollInterval;
        foreach (var (path, w) in _watched.ToList())
        {
            if (!w.Polled)
                continue;
            CheckOne(path, w);
        }
    }

    /// <summary>When the next poll is due; null when no watched value needs polling.</summary>
    public DateTimeOffset? NextDue()
    {
        Refresh();
        return _anyPolled ? _nextPoll : null;
    }

    /// <summary>A provider said the value changed.</summary>
    public void Report(string parameterPath)
    {
        Refresh();
        if (_watched.TryGetValue(parameterPath, out var w))
            CheckOne(parameterPath, w);
    }

    private void CheckOne(string path, Watched w)
    {
        var now = w.Object.GetValue(w.Param);
        if (string.Equals(now, w.Last, StringComparison.Ordinal))
            return;
        w.Last = now;
        service.Changes.ValueChanged(path, now);
    }

    private void Refresh()
    {
        if (!_stale)
            return;
        _stale = false;
        var fresh = new Dictionary<string, Watched>(StringComparer.Ordinal);
        foreach (var (s, _) in SubscriptionRow.Active(service.Tree, "ValueChange").ToList())
        {
            foreach (var reference in s.References)
            {
                foreach (var (obj, param) in ReferenceMatcher.Parameters(service.Tree, reference))
                {
                    if (!param.IsComputed || param.ValueChange == ValueChangeSupport.WillIgnore)
                        continue;
                    var path = obj.Path + param.Name;
                    if (fresh.ContainsKey(path))
                        continue;
                    if (_watched.TryGetValue(path, out var known) && known.Object == obj)
                        fresh[path] = known;
                    else
                        fresh[path] = new Watched(obj, param, !param.SignalsValueChange) { Last = obj.GetValue(param) };
                }
            }
        }
        _watched.Clear();
        foreach (var (k, v) in fresh)
            _watched[k] = v;
        _anyPolled = _watched.Values.Any(w => w.Polled);
    }
}

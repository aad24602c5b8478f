namespace Usp.DataModel.Notifications;

/// <summary>TR-181 PeriodicNotifTime/PeriodicNotifInterval arithmetic.</summary>
internal static class PeriodicSchedule
{
    /// <summary>The first time at or after <paramref name="after"/> that is reference + k·interval.</summary>
    public static DateTimeOffset NextAtOrAfter(DateTimeOffset reference, TimeSpan interval, DateTimeOffset after)
    {
        if (after <= reference)
            return reference;
        long k = (long)Math.Ceiling((after - reference).Ticks / (double)interval.Ticks);
        var next = reference + TimeSpan.FromTicks(interval.Ticks * k);
        return next < after ? next + interval : next;
    }
}

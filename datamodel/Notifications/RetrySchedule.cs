namespace Usp.DataModel.Notifications;

/// <summary>
/// TR-369 R-NOT.1/R-NOT.2 retry intervals: retry n waits between m·(k/1000)^(n-1) and
/// m·(k/1000)^n seconds, with the range fixed from the tenth retry on.
/// </summary>
public static class RetrySchedule
{
    public const int FixedFromRetry = 10;

    /// <summary>The wait range, in seconds, before retry number <paramref name="retry"/> (1-based).</summary>
    public static (double Min, double Max) Range(int retry, uint minimumWaitSeconds, uint intervalMultiplier)
    {
        int n = Math.Clamp(retry, 1, FixedFromRetry);
        double factor = intervalMultiplier / 1000.0;
        double min = minimumWaitSeconds * Math.Pow(factor, n - 1);
        return (min, min * factor);
    }

    /// <param name="unitRandom">A value in [0, 1) choosing the point inside the range.</param>
    public static TimeSpan Wait(int retry, uint minimumWaitSeconds, uint intervalMultiplier, double unitRandom)
    {
        var (min, max) = Range(retry, minimumWaitSeconds, intervalMultiplier);
        return TimeSpan.FromSeconds(min + (max - min) * unitRandom);
    }
}

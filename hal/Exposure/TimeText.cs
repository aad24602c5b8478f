using System.Globalization;

namespace Usp.Hal.Exposure;

/// <summary>TR-106 text for the values the HAL serves.</summary>
internal static class TimeText
{
    /// <summary>TR-106's "unknown time".</summary>
    public const string Unknown = "0001-01-01T00:00:00Z";

    public static string Of(DateTimeOffset? t) =>
        t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : Unknown;

    public static string Decimal(double value, int decimals) =>
        Math.Round(value, decimals, MidpointRounding.AwayFromZero).ToString("0.######", CultureInfo.InvariantCulture);

    public static string Bool(bool value) => value ? "true" : "false";
}

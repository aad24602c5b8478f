using System.Globalization;
using Usp.DataModel.Areas;
using Usp.DataModel.Store;

namespace Usp.DataModel.Records;

/// <summary>A Controller's <c>E2ESession.</c> configuration, with the defaults for Controllers without a row.</summary>
internal sealed record SessionSettings(string Mode, TimeSpan Expiration, int MaxRetransmitTries, int MaxRecordSize)
{
    public static readonly SessionSettings Default = new("Allow", TimeSpan.FromSeconds(3600), 3, 0);

    public bool Forbidden => Mode == "Forbid";

    public static SessionSettings For(DmObject? controllerRow)
    {
        if (controllerRow?.Child(E2ESessionArea.Name) is not { } e2e)
            return Default;
        return new SessionSettings(
            e2e.GetValue("SessionMode") ?? Default.Mode,
            TimeSpan.FromSeconds(ParseLong(e2e.GetValue("SessionExpiration"), 3600)),
            (int)ParseLong(e2e.GetValue("MaxRetransmitTries"), 3),
            (int)Math.Min(int.MaxValue, ParseLong(e2e.GetValue("MaxUSPRecordSize"), 0)));
    }

    private static long ParseLong(string? value, long fallback) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : fallback;
}

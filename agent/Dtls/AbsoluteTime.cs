namespace Usp.Agent.Dtls;

/// <summary>
/// Whether the agent knows absolute time (TR-369 R-SEC.19/20): only then are a certificate's notBefore/notAfter checked.
/// The clock is taken as absolute when it reads later than the moment this agent was built — a board without a
/// battery-backed clock that has not synchronised yet boots at the epoch (or at a stale saved time), earlier than
/// any agent it runs — or when the system reports a synchronised clock (systemd-timesyncd's
/// <c>/run/systemd/timesync/synchronized</c>). <c>Agent:AbsoluteTime</c> = true/false overrides the decision.
/// </summary>
internal sealed class AbsoluteTime(TimeProvider time, DateTimeOffset buildTime, bool? configured = null, string synchronizedFlag = AbsoluteTime.TimesyncFlag)
{
    public const string TimesyncFlag = "/run/systemd/timesync/synchronized";

    public TimeProvider Time => time;

    public bool IsKnown => configured ?? (time.GetUtcNow() > buildTime || File.Exists(synchronizedFlag));

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>The build time of this binary: its assembly's link time is not recorded, so the file time of the executable's assembly stands in.</summary>
    public static DateTimeOffset BuildTimeOf(Type type)
    {
        string location = AppContext.BaseDirectory;
        try
        {
            string file = Path.Combine(location, type.Assembly.GetName().Name + ".dll");
            if (!File.Exists(file))
            {
                file = Environment.ProcessPath ?? file;
            }

            return File.Exists(file) ? File.GetLastWriteTimeUtc(file) : DateTimeOffset.UnixEpoch;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return DateTimeOffset.UnixEpoch;
        }
    }
}

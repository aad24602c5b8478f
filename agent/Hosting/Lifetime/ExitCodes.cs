namespace Usp.Agent.Hosting;

/// <summary>The process exit statuses scripts and the systemd unit rely on (sysexits.h values where one fits).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;

    /// <summary>The agent is not running, or this build lacks what the verb needs (EX_UNAVAILABLE).</summary>
    public const int Unavailable = 69;

    /// <summary>
    /// Under systemd, a requested reboot exits with this status (EX_TEMPFAIL) and the unit restarts the
    /// agent: <c>RestartForceExitStatus=75</c> and <c>SuccessExitStatus=75</c>.
    /// </summary>
    public const int RestartRequested = 75;

    /// <summary>A configuration value cannot be used (EX_CONFIG).</summary>
    public const int Configuration = 78;
}

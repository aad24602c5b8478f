namespace Usp.Agent.Hosting.Reboot;

/// <summary>How the process restarts after a requested reboot.</summary>
internal enum RestartMethod
{
    /// <summary>No restart requested: the process exits.</summary>
    None,

    /// <summary>Replace this process with a fresh copy of itself, same arguments (execve of /proc/self/exe).</summary>
    ReExecute,

    /// <summary>Exit with <see cref="ExitCodes.RestartRequested"/> so that systemd starts the unit again.</summary>
    ExitForServiceManager,

    /// <summary>Run <c>Agent:RebootCommand</c>, which reboots the whole system.</summary>
    RunRebootCommand,
}

/// <summary>What Program.cs does once the host has stopped; set by <see cref="RebootHandler"/>.</summary>
internal sealed class RestartPlan
{
    private int _method;

    public RestartMethod Method => (RestartMethod)Volatile.Read(ref _method);

    public void Request(RestartMethod method) => Volatile.Write(ref _method, (int)method);

    /// <summary>How a reboot restarts this agent: a system command if configured, systemd when it supervises us, else re-exec.</summary>
    public static RestartMethod Choose(AgentOptions options, bool underServiceManager) =>
        options.RebootCommand is not null ? RestartMethod.RunRebootCommand
        : underServiceManager ? RestartMethod.ExitForServiceManager
        : RestartMethod.ReExecute;
}

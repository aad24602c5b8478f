using System.Runtime.InteropServices;

namespace Usp.Agent.Hosting;

/// <summary>SIGTERM, SIGINT and SIGQUIT ask the agent to stop cleanly instead of ending the process at once.</summary>
internal sealed class ProcessSignals : IDisposable
{
    private readonly PosixSignalRegistration[] _registrations;

    private ProcessSignals(AgentLifetime lifetime)
    {
        void Stop(PosixSignalContext context)
        {
            // The host stops, Main returns and the process exits with the run's status.
            context.Cancel = true;
            lifetime.StopApplication();
        }

        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop),
            PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Stop),
        ];
    }

    public static ProcessSignals StopOn(AgentLifetime lifetime) => new(lifetime);

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }
    }
}

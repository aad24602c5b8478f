using Microsoft.Extensions.Hosting;
using Usp.Agent.Hosting.Reboot;
using Usp.Agent.Mtp;

namespace Usp.Agent.Hosting;

/// <summary>
/// The services of one agent host, in the order Program.cs adds them: hosted services start in that order and
/// stop in reverse. The lists of MTP listeners, readiness observers and shutdown participants are read once the
/// host runs, so everything added before <see cref="AgentHost.StartAsync"/> takes part.
/// </summary>
internal sealed class AgentServiceList
{
    private readonly List<IHostedService> _hosted = [];
    private readonly List<IMtpListener> _listeners = [];
    private readonly List<IReadinessObserver> _observers = [];
    private readonly List<IShutdownParticipant> _participants = [];
    private readonly List<IDisposable> _owned = [];

    public IReadOnlyList<IHostedService> HostedServices => _hosted;

    public IReadOnlyList<IMtpListener> MtpListeners => _listeners;

    public IReadOnlyList<IReadinessObserver> ReadinessObservers => _observers;

    public IReadOnlyList<IShutdownParticipant> ShutdownParticipants => _participants;

    /// <summary>What the host disposes after it has stopped, besides its hosted services.</summary>
    public IReadOnlyList<IDisposable> Owned => _owned;

    public T AddHostedService<T>(T service)
        where T : IHostedService
    {
        _hosted.Add(service);
        return service;
    }

    /// <summary>An MTP: it runs as a hosted service and the agent is ready once it listens (see <see cref="ReadinessService"/>).</summary>
    public T AddMtpListener<T>(T listener)
        where T : IMtpListener, IHostedService
    {
        _listeners.Add(listener);
        return AddHostedService(listener);
    }

    public T AddReadinessObserver<T>(T observer)
        where T : IReadinessObserver
    {
        _observers.Add(observer);
        return observer;
    }

    /// <summary>Flushed when the host stops, after every other hosted service (see <see cref="ShutdownParticipantsService"/>).</summary>
    public T AddShutdownParticipant<T>(T participant)
        where T : IShutdownParticipant
    {
        _participants.Add(participant);
        return participant;
    }

    public T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}

namespace Usp.Agent.Hosting.Reboot;

/// <summary>
/// Restarts the agent on request: the engine calls it for Device.Reboot() and Device.FactoryReset(),
/// after it has sent its response. The cause is recorded, the host stops gracefully (every hosted service
/// and <see cref="IShutdownParticipant"/> persists what it must), then the restart happens as
/// <see cref="RestartPlan"/> says.
/// </summary>
internal interface IRebootHandler
{
    /// <summary>Starts the restart and returns; the process goes away shortly after.</summary>
    void RequestRestart(BootRecord nextBoot);
}

/// <summary>
/// Something that must persist its state before the process exits or restarts (the database, later).
/// Flushed after every other hosted service has stopped, within the host's 5 s shutdown budget.
/// </summary>
internal interface IShutdownParticipant
{
    string Name { get; }

    Task FlushAsync(CancellationToken cancellationToken);
}

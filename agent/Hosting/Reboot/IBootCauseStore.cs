namespace Usp.Agent.Hosting.Reboot;

/// <summary>
/// Carries the cause of a restart across it. The engine reads <see cref="CurrentBoot"/> for the
/// Device.Boot! event (and, when it is a factory reset, starts from the factory defaults).
/// </summary>
internal interface IBootCauseStore
{
    /// <summary>Why this process started; read once at start.</summary>
    BootRecord CurrentBoot { get; }

    /// <summary>Persists the cause the next start reports, before a requested restart.</summary>
    void RecordNextBoot(BootRecord next);
}

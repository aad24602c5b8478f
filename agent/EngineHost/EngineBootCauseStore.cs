using Usp.Agent.Hosting.Reboot;
using Usp.DataModel;

namespace Usp.Agent.EngineHost;

/// <summary>
/// The boot cause kept in one place, the engine's database, where the engine itself records it for
/// Device.Reboot()/FactoryReset() and reads it for Device.Boot!. The host's reboot handler and the banner
/// go through this store, so the host and the engine cannot disagree about why the agent started.
/// </summary>
internal sealed class EngineBootCauseStore : IBootCauseStore
{
    private UspEngine? _engine;
    private BootRecord _current = BootRecord.Unrequested;

    public BootRecord CurrentBoot => _current;

    /// <summary>Binds the store to the freshly opened engine and takes this start's cause from it.</summary>
    public void Attach(UspEngine engine)
    {
        _current = engine.TakeBootCause() is { } atStart ? ToRecord(atStart.Cause, atStart.CommandKey) : BootRecord.Unrequested;
        _engine = engine;
    }

    public void RecordNextBoot(BootRecord next)
    {
        UspEngine engine = _engine ?? throw new InvalidOperationException("the USP engine is not open");

        // Device.Reboot()/FactoryReset() already stored the cause with its CommandKey; keep that one.
        if (next.CommandKey.Length == 0 && engine.RecordedBootCause is { } recorded && recorded.Cause == next.Cause.ToString())
        {
            return;
        }

        engine.RecordBootCause(next.Cause.ToString(), next.CommandKey);
    }

    private static BootRecord ToRecord(string cause, string commandKey) =>
        new(Enum.TryParse(cause, out BootCause parsed) ? parsed : BootCause.LocalReboot, commandKey);
}

using Usp.DataModel.Notifications;
using Usp.DataModel.Store;

namespace Usp.DataModel.Operations;

/// <summary>
/// What the built-in commands need from the engine. The schema is built before the store opens,
/// so the engine fills this in afterwards; commands only run once it is complete.
/// </summary>
internal sealed class AgentCommandServices
{
    public DataModelStore Store { get; set; } = null!;
    public NotificationService Notifications { get; set; } = null!;
    public OperationRunner Runner { get; set; } = null!;
    /// <summary>Rebuilds the data model from the factory defaults (takes the engine lock).</summary>
    public Action FactoryReset { get; set; } = null!;
    public IDeviceRestart? Restart { get; init; }
    public IReadOnlyList<ISelfTestParticipant> SelfTests { get; init; } = [];
}

namespace Usp.DataModel.Store;

/// <summary>A committed change to the instantiated data model, for notifications and subscriptions.</summary>
public abstract record DataModelChange(string Path);

/// <summary>A stored parameter changed value (<paramref name="Path"/> is the full parameter path).</summary>
public sealed record ParameterChanged(string Path, string OldValue, string NewValue) : DataModelChange(Path);

/// <summary>A table row was created (<paramref name="Path"/> is its instance path).</summary>
public sealed record ObjectCreated(string Path, IReadOnlyDictionary<string, string> UniqueKeys) : DataModelChange(Path);

/// <summary>A table row was deleted with everything below it.</summary>
public sealed record ObjectDeleted(string Path) : DataModelChange(Path);

/// <summary>All changes one USP message (or one local operation) committed, in order.</summary>
public sealed class ChangesCommittedEventArgs(IReadOnlyList<DataModelChange> changes, string? controllerEndpointId) : EventArgs
{
    public IReadOnlyList<DataModelChange> Changes { get; } = changes;
    /// <summary>EndpointID of the Controller whose message made the changes; null for local changes.</summary>
    public string? ControllerEndpointId { get; } = controllerEndpointId;
}

namespace Usp.Hal.Sampling;

/// <summary>
/// What the data model serves for a sensor between polls: the last good values, when the device last answered and
/// when a value last changed, and the error while it is failing. Immutable: getters read it without locks.
/// </summary>
public sealed record SensorSnapshot(IReadOnlyList<double>? Values, DateTimeOffset? LastContact, DateTimeOffset? LastChange, string? Error)
{
    public static SensorSnapshot Initial { get; } = new(null, null, null, null);

    public bool Failing => Error is not null;
}

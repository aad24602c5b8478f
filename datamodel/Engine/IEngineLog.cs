namespace Usp.DataModel;

/// <summary>
/// The engine's logging seam. The datamodel project takes no logging package; the host adapts this
/// to Microsoft.Extensions.Logging.
/// </summary>
public interface IEngineLog
{
    void Info(string message);
    void Warning(string message);
    void Error(string message);
}

/// <summary>Discards everything.</summary>
public sealed class NullEngineLog : IEngineLog
{
    public void Info(string message) { }
    public void Warning(string message) { }
    public void Error(string message) { }
}

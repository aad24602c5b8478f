using Usp.DataModel.Store;

namespace Usp.DataModel.Schema;

/// <summary>What an <see cref="InstanceInitializer"/> sees when a new row is created.</summary>
public sealed class InstanceInitContext
{
    private readonly DmTransaction _tx;

    internal InstanceInitContext(DmTransaction tx, DmObject instance, DmObject? controller, DateTimeOffset now)
    {
        _tx = tx;
        Instance = instance;
        Controller = controller;
        Now = now;
    }

    public DmObject Instance { get; }
    /// <summary>The <c>Device.LocalAgent.Controller.{i}.</c> row of the requesting Controller, if known.</summary>
    public DmObject? Controller { get; }
    public DateTimeOffset Now { get; }

    public void Set(string paramName, string value) => _tx.SetValue(Instance, paramName, value);
}

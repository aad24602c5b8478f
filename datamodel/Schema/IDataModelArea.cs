namespace Usp.DataModel.Schema;

/// <summary>
/// One area of the data model (DeviceInfo, LocalAgent, a sensor…): a single class that registers
/// its objects, parameters, live value getters, commands and events.
/// </summary>
public interface IDataModelArea
{
    void Register(SchemaBuilder builder);
}

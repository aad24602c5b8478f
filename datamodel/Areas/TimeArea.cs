using System.Globalization;
using Usp.DataModel.Schema;

namespace Usp.DataModel.Areas;

/// <summary><c>Device.Time.</c>: the current time and the configured time zone.</summary>
public sealed class TimeArea(AgentEnvironment env) : IDataModelArea
{
    public void Register(SchemaBuilder builder)
    {
        builder.Object("Device.Time.")
            .Computed("CurrentLocalTime", ParamType.DateTime,
                _ => env.Time.GetLocalNow().ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
                ValueChangeSupport.WillIgnore)
            .Param("LocalTimeZone", ParamType.String, ParamAccess.ReadWrite, maxLength: 256);
    }
}

namespace Usp.Hal.Exposure;

/// <summary>Where the HAL reports that a computed value changed: the engine's ValueChange hook, once it is open.</summary>
public interface IValueChangeSink
{
    void ReportValueChanged(string parameterPath);
}

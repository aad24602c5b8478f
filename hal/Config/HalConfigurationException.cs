namespace Usp.Hal.Config;

/// <summary>A bad <c>Hal:</c> setting; the message names the entry, the key, the value and what is expected.</summary>
public sealed class HalConfigurationException(string message) : Exception(message);

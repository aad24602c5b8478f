using Microsoft.Extensions.Logging;
using Usp.Agent.Hosting;
using Usp.Hal;
using Usp.Hal.Devices;
using Usp.Hal.Linux;
using Usp.Hal.Simulation;

namespace Usp.Agent.EngineHost;

/// <summary>Builds the HAL the options ask for: the simulated board (default) or the Linux kernel's GPIO and I2C.</summary>
internal static class AgentHal
{
    public static HalRuntime Create(AgentOptions options, TimeProvider time, ILoggerFactory loggers)
    {
        var settings = options.HalSettings;
        IHalBackend backend = options.Hal == HalKind.Linux
            ? new LinuxBackend(options.SystemRoot)
            : new SimulatedBackend(settings, time);
        var zones = ThermalZones.Discover(options.SystemRoot, time, loggers);
        return new HalRuntime(settings, backend, time, loggers, zones);
    }
}

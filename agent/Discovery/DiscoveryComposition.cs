using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Usp.Agent.EngineHost;
using Usp.Agent.Hosting.Logging;
using Usp.Agent.Mtp;

namespace Usp.Agent.Discovery;

/// <summary>Chooses the advertising backend: never two responders for one host.</summary>
internal static partial class DiscoveryComposition
{
    public static IHostedService Backend(DiscoveryOptions options, AgentEngine engine, IServedEndpoints served, MdnsInterfaces interfaces, ConsoleLog log, TimeProvider time)
    {
        var source = new AgentAdvertisementSource(engine, served, options.HostLabel(), options.Subtypes);
        bool avahi = options.Backend switch
        {
            DiscoveryBackend.Avahi => true,
            DiscoveryBackend.Builtin => false,
            _ => AvahiServiceFileBackend.IsDaemonReachable(options.AvahiSocket),
        };

        ILogger<MdnsResponderService> logger = log.For<MdnsResponderService>();
        LogBackend(logger, avahi ? $"avahi ({options.AvahiServiceFile})" : "the built-in responder", options.Backend.ToString().ToLowerInvariant());
        return avahi
            ? new AvahiServiceFileBackend(source, options.AvahiServiceFile, log.For<AvahiServiceFileBackend>())
            : new MdnsResponderService(source, interfaces, logger, time);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "mDNS/DNS-SD advertisement through {Backend} (Discovery:Backend {Setting}).")]
    private static partial void LogBackend(ILogger logger, string backend, string setting);
}

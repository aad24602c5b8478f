using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Usp.Agent.Coap;
using Usp.Agent.Hosting;
using Usp.Agent.Hosting.Reboot;
using Usp.Agent.Mtp;
using Usp.DataModel;
using Usp.DataModel.Store;

namespace Usp.Agent.EngineHost;

/// <summary>
/// The USP engine in the host: opened when the host starts (after the admin channel has claimed the data
/// directory, so two agents never open one database), disposed last (the database is flushed and closed).
/// Other services wait for <see cref="WhenOpen"/>.
/// </summary>
internal sealed partial class AgentEngine(
    AgentOptions options,
    EngineBootCauseStore bootCause,
    OutboundRecordRouter outbound,
    IRebootHandler reboot,
    ILoggerFactory loggers,
    ILogger<AgentEngine> logger,
    IReadOnlyList<Usp.DataModel.Schema.IDataModelArea>? areas = null) : IHostedService, IShutdownParticipant
{
    private readonly TaskCompletionSource<UspEngine> _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// The Endpoint ID the local administration channel uses as a full-access Controller. Random per process:
    /// no peer on an MTP can guess it, and the MTP refuses the <see cref="LocalAdminPrefix"/> anyway.
    /// </summary>
    public string LocalAdminEndpointId { get; } = LocalAdminPrefix + NewAdminSuffix();

    public const string LocalAdminPrefix = "self::usp-agent-local-admin-";

    private static string NewAdminSuffix()
    {
        Span<byte> random = stackalloc byte[8];
        SecureRandomBytes.Fill(random);
        return Convert.ToHexStringLower(random);
    }

    public string Name => "USP engine";

    public Task<UspEngine> WhenOpen => _opened.Task;

    /// <summary>The open engine; only for services that start after this one.</summary>
    public UspEngine Engine => _opened.Task.IsCompletedSuccessfully ? _opened.Task.Result : throw new InvalidOperationException("the USP engine is not open");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            UspEngine engine = UspEngine.Open(new UspEngineOptions
            {
                DataDirectory = options.DataDir,
                FactoryDefaultsPath = options.FactoryDefaults,
                EndpointId = options.EndpointId,
                Identity = options.IdentitySettings(),
                SoftwareVersion = AgentVersion.Product,
                Log = new EngineLogAdapter(loggers.CreateLogger("Usp.DataModel")),
                Time = TimeProvider.System,
                OutboundSender = outbound,
                DeviceRestart = new EngineDeviceRestart(reboot),
                FullAccessEndpointId = LocalAdminEndpointId,
                Areas = areas ?? [],
            });
            bootCause.Attach(engine);
            outbound.UseControllerMtps(engine.GetControllerMtps);
            if (bootCause.CurrentBoot.Cause is BootCause.LocalFactoryReset or BootCause.FactoryReset)
            {
                // A local factory reset is asked for through the host and carried out here, at the next start.
                LogFactoryReset(bootCause.CurrentBoot.Cause);
                engine.FactoryReset(recordBootCause: false);
            }

            _opened.TrySetResult(engine);
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidOperationException or UnauthorizedAccessException or DataStoreException)
        {
            _opened.TrySetException(e);
            throw new AgentConfigurationException($"cannot open the USP data model in {options.DataDir}: {e.Message}");
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_opened.Task.IsCompletedSuccessfully)
        {
            _opened.Task.Result.Dispose();
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Boot cause {Cause}: the data model starts from the factory defaults.")]
    private partial void LogFactoryReset(BootCause cause);
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Usp.Agent;
using Usp.Agent.Cli;
using Usp.Agent.Engine;
using Usp.Agent.Hosting;
using Usp.Agent.Hosting.LocalAdmin;
using Usp.Agent.Hosting.Reboot;
using Usp.Agent.Hosting.Systemd;
using Usp.Agent.Mtp;

var commandLine = new AgentCommandLine(
    (settings, cancellationToken) => AgentComposition.RunAgentAsync(AgentComposition.LaunchOf(settings), Console.Error, cancellationToken),
    settings => AgentComposition.ReadOptions(AgentComposition.LaunchOf(settings)).DataDir,
    Console.Out,
    Console.Error,
    (settings, request, cancellationToken) => OfflineDataModel.ExecuteAsync(AgentComposition.ReadOptions(AgentComposition.LaunchOf(settings)), request, Console.Error, cancellationToken));
return await commandLine.InvokeAsync(args, CancellationToken.None);

namespace Usp.Agent
{
    /// <summary>The composition root: the one place where the agent's services are chosen and wired.</summary>
    internal static class AgentComposition
    {
        /// <summary>How long stopping may take on SIGTERM or a reboot: services flush within it.</summary>
        public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

        public static AgentLaunch LaunchOf(AgentSettingsArguments settings) =>
            AgentLaunch.ForThisProcess(settings.ConfigFile, settings.ConfigurationOverrides, Console.Out);

        /// <summary>Runs the agent until SIGTERM, SIGINT or a reboot request; returns the process exit status.</summary>
        public static async Task<int> RunAgentAsync(
            AgentLaunch launch, TextWriter error, CancellationToken cancellationToken, Action<IServiceCollection>? replace = null)
        {
            IHost host;
            try
            {
                host = BuildHost(launch, replace);
            }
            catch (AgentConfigurationException e)
            {
                await error.WriteLineAsync($"usp-agent: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Configuration;
            }

            AgentOptions options = host.Services.GetRequiredService<AgentOptions>();
            RestartPlan plan = host.Services.GetRequiredService<RestartPlan>();
            AgentExitCode exitCode = host.Services.GetRequiredService<AgentExitCode>();
            using (host)
            {
                try
                {
                    await host.StartAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The process edge: a port or socket in use, a directory not writable… say it plainly.
                    await error.WriteLineAsync($"usp-agent: cannot start: {e.Message}").ConfigureAwait(false);
                    await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
                    return e is AgentConfigurationException ? ExitCodes.Configuration : ExitCodes.Failure;
                }

                await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
                if (host.Services.GetServices<IHostedService>().OfType<BackgroundService>().Any(service => service.ExecuteTask is { IsFaulted: true }))
                {
                    // A crashed background service stopped the host: that is a failure systemd should see.
                    exitCode.Fail(ExitCodes.Failure);
                }
            }

            return new ProcessRestarter(launch.Output, error).Restart(plan.Method, options.RebootCommand, exitCode.Value);
        }

        /// <summary>Reads and validates the agent's options from every configuration source of <paramref name="launch"/>.</summary>
        public static AgentOptions ReadOptions(AgentLaunch launch)
        {
            var configuration = new ConfigurationManager();
            AgentConfigurationSources.Add(configuration, launch);
            return AgentOptionsReader.Read(configuration, launch.CurrentDirectory, new FactoryDefaultsLocator(launch.CurrentDirectory, launch.ExecutableDirectory));
        }

        /// <summary>Builds the agent's host. <paramref name="replace"/> lets tests substitute services after the agent's own.</summary>
        public static IHost BuildHost(AgentLaunch launch, Action<IServiceCollection>? replace = null)
        {
            HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
            {
                ApplicationName = "usp-agent",
                ContentRootPath = launch.CurrentDirectory,
            });
            AgentConfigurationSources.Add(builder.Configuration, launch);
            AgentOptions options = AgentOptionsReader.Read(builder.Configuration, launch.CurrentDirectory, new FactoryDefaultsLocator(launch.CurrentDirectory, launch.ExecutableDirectory));
            CreateDataDirectory(options.DataDir);
            var systemd = new SystemdEnvironment(launch.Environment, Environment.ProcessId);

            ConfigureLogging(builder.Logging, options, systemd);
            IServiceCollection services = builder.Services;
            services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownTimeout);
            services.Configure<ConsoleLifetimeOptions>(lifetime => lifetime.SuppressStatusMessages = true);

            services.AddSingleton(options);
            services.AddSingleton(TimeProvider.System);
            services.AddSingleton<AgentExitCode>();
            services.AddSingleton<RestartPlan>();
            // The engine's database is the one place the boot cause lives (the engine records Device.Reboot()'s there).
            services.AddSingleton<EngineBootCauseStore>();
            services.AddSingleton<IBootCauseStore>(provider => provider.GetRequiredService<EngineBootCauseStore>());
            services.AddSingleton<OutboundRecordRouter>();
            services.AddSingleton<AgentEngine>();
            services.AddSingleton<IShutdownParticipant>(provider => provider.GetRequiredService<AgentEngine>());
            services.AddSingleton<IRebootHandler>(provider => new RebootHandler(
                provider.GetRequiredService<IBootCauseStore>(),
                provider.GetRequiredService<RestartPlan>(),
                RestartPlan.Choose(options, systemd.IsSystemdService),
                provider.GetRequiredService<IHostApplicationLifetime>(),
                provider.GetRequiredService<ILogger<RebootHandler>>()));
            services.AddSingleton<ISystemdNotifier>(_ => systemd.NotifySocket is { } socket ? new UnixDatagramNotifier(socket) : new DisabledSystemdNotifier());

            services.AddSingleton<ILocalAdminHandler, EngineAdminHandler>();
            services.AddSingleton<LocalAdminDispatcher>();

            // Hosted services start in this order and stop in the reverse order.
            services.AddHostedService<ShutdownParticipantsService>();

            // First to start: it refuses to run beside another agent on the same data directory.
            services.AddHostedService(provider => new LocalAdminServer(
                options.AdminSocketPath,
                provider.GetRequiredService<LocalAdminDispatcher>(),
                provider.GetRequiredService<ILogger<LocalAdminServer>>()));

            // Opens the engine once the admin socket has claimed the data directory.
            services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<AgentEngine>());
            services.AddSingleton(provider => new ConsoleAnnouncer(
                launch.Output, options, provider.GetRequiredService<IBootCauseStore>(), () => provider.GetRequiredService<AgentEngine>().Engine.EndpointId));
            services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<ConsoleAnnouncer>());
            services.AddSingleton<IReadinessObserver>(provider => provider.GetRequiredService<ConsoleAnnouncer>());
            services.AddSingletonAs<SystemdLifecycleNotifier, IHostedService, IReadinessObserver>();
            services.AddHostedService<NotYetAvailableReporter>();

            // MTP listeners; readiness waits for each. Once all listen, the notification loop starts (Boot! first).
            services.AddMtpListener<CoapMtpListener>();
            services.AddSingletonAs<NotificationRunner, IHostedService, IReadinessObserver>();

            if (systemd.WatchdogPingInterval is { } pingInterval)
            {
                services.AddHostedService(provider => new SystemdWatchdogService(
                    provider.GetRequiredService<ISystemdNotifier>(), pingInterval, provider.GetRequiredService<TimeProvider>()));
            }

            services.AddHostedService<ReadinessService>();
            replace?.Invoke(services);
            return builder.Build();
        }

        private static void ConfigureLogging(ILoggingBuilder logging, AgentOptions options, SystemdEnvironment systemd)
        {
            logging.SetMinimumLevel(options.LogLevel);
            if (systemd.IsSystemdService)
            {
                // journald reads the <N> priority prefix of each line.
                logging.AddSystemdConsole(console => console.UseUtcTimestamp = true);
            }
            else
            {
                logging.AddSimpleConsole(console =>
                {
                    console.SingleLine = true;
                    console.TimestampFormat = "HH:mm:ss.fff ";
                });
            }

            // stdout carries the banner and the readiness line that scripts read; logs go to stderr.
            logging.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        }

        private static void CreateDataDirectory(string dataDir)
        {
            try
            {
                Directory.CreateDirectory(dataDir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new AgentConfigurationException($"cannot create the data directory {dataDir}: {e.Message}");
            }
        }
    }
}

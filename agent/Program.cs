using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Usp.Agent;
using Usp.Agent.Cli;
using Usp.Agent.Coap;
using Usp.Agent.Dtls;
using Usp.Agent.Discovery;
using Usp.Agent.EngineHost;
using Usp.Agent.Hosting;
using Usp.Agent.Hosting.LocalAdmin;
using Usp.Agent.Hosting.Logging;
using Usp.Agent.Hosting.Reboot;
using Usp.Agent.Hosting.Systemd;
using Usp.Agent.Mtp;
using Usp.Agent.Mtp.Coap;

var commandLine = new AgentCommandLine(
    (settings, cancellationToken) => AgentComposition.RunAgentAsync(AgentComposition.LaunchOf(settings), Console.Error, cancellationToken),
    settings => AgentComposition.ReadOptions(AgentComposition.LaunchOf(settings)).AdminSocketPath,
    Console.Out,
    Console.Error,
    (settings, request, cancellationToken) => OfflineDataModel.ExecuteAsync(AgentComposition.ReadOptions(AgentComposition.LaunchOf(settings)), request, Console.Error, cancellationToken));
return await commandLine.InvokeAsync(args, CancellationToken.None);

namespace Usp.Agent
{
    /// <summary>The composition root: the one place where the agent's services are chosen, built and wired.</summary>
    internal static class AgentComposition
    {
        /// <summary>How long stopping may take on SIGTERM or a reboot: services flush within it.</summary>
        public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

        public static AgentLaunch LaunchOf(AgentSettingsArguments settings) =>
            AgentLaunch.ForThisProcess(settings.ConfigFile, settings.ConfigurationOverrides, Console.Out);

        /// <summary>Runs the agent until SIGTERM, SIGINT or a reboot request; returns the process exit status.</summary>
        public static async Task<int> RunAgentAsync(
            AgentLaunch launch, TextWriter error, CancellationToken cancellationToken, AgentAdditions? additions = null)
        {
            ComposedAgent agent;
            try
            {
                agent = Compose(launch, additions);
            }
            catch (AgentConfigurationException e)
            {
                await error.WriteLineAsync($"usp-agent: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Configuration;
            }

            using (agent.Host)
            using (ProcessSignals.StopOn(agent.Lifetime))
            {
                try
                {
                    await agent.Host.StartAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The process edge: a port or socket in use, a directory not writable… say it plainly.
                    await error.WriteLineAsync($"usp-agent: cannot start: {e.Message}").ConfigureAwait(false);
                    await agent.Host.StopAsync(CancellationToken.None).ConfigureAwait(false);
                    return e is AgentConfigurationException ? ExitCodes.Configuration : ExitCodes.Failure;
                }

                await agent.Host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
                if (agent.Host.HasCrashedService)
                {
                    // A crashed background service stopped the host: that is a failure systemd should see.
                    agent.ExitCode.Fail(ExitCodes.Failure);
                }
            }

            return new ProcessRestarter(launch.Output, error).Restart(agent.Plan.Method, agent.Options.RebootCommand, agent.ExitCode.Value);
        }

        /// <summary>Reads and validates the agent's options from every configuration source of <paramref name="launch"/>.</summary>
        public static AgentOptions ReadOptions(AgentLaunch launch) =>
            AgentOptionsReader.Read(
                AgentConfigurationSources.Read(launch), launch.CurrentDirectory, new FactoryDefaultsLocator(launch.CurrentDirectory, launch.ExecutableDirectory));

        /// <summary>Builds the agent: its options, log and services, in the order they start.</summary>
        public static ComposedAgent Compose(AgentLaunch launch, AgentAdditions? additions = null)
        {
            additions ??= new AgentAdditions();
            AgentOptions options = ReadOptions(launch);
            CreateDirectory(options.DataDir, "the data directory");
            CreateDirectory(Path.GetDirectoryName(options.AdminSocketPath)!, "the local administration socket's directory");
            var systemd = new SystemdEnvironment(launch.Environment, Environment.ProcessId);
            bool underSystemd = additions.IsSystemdService ?? SystemdHelpers.IsSystemdService();
            TimeProvider time = additions.Time;

            // Logs go to stderr: stdout carries the banner and the readiness line that scripts read.
            // journald reads the <N> priority prefix of each line.
            var log = new ConsoleLog(Console.Error, underSystemd ? ConsoleLogFormat.Systemd : ConsoleLogFormat.Simple, options.LogLevel, time);
            var lifetime = new AgentLifetime();
            var exitCode = new AgentExitCode();
            var plan = new RestartPlan();
            var services = new AgentServiceList();
            ISystemdNotifier notifier = additions.SystemdNotifier ?? new SystemdNotifier();

            // The engine's database is the one place the boot cause lives (the engine records Device.Reboot()'s there).
            var bootCause = new EngineBootCauseStore();
            // mDNS/DNS-SD resolution (unless --no-mdns): .local Controller hosts (R-DIS.5) and Controllers without a Host (R-DIS.7).
            var mdnsInterfaces = new MdnsInterfaces(options.Discovery.Interfaces, System.Net.IPAddress.Parse(options.Bind));
            MdnsResolver? mdns = options.Mdns ? new MdnsResolver(mdnsInterfaces, log.For<MdnsResolver>()) : null;
            var outbound = new OutboundRecordRouter(mdns);
            var reboot = new RebootHandler(bootCause, plan, RestartPlan.Choose(options, underSystemd), lifetime, log.For<RebootHandler>());
            // The HAL's area is part of the data model the engine opens; its lines and poll loops start once it is open.
            var hal = AgentHal.Create(options, time, log);
            var engine = new AgentEngine(options, bootCause, outbound, reboot, log, log.For<AgentEngine>(), [hal.Area]);
            services.AddShutdownParticipant(engine);

            // Hosted services start in this order and stop in the reverse order.
            services.AddHostedService(new ShutdownParticipantsService(services.ShutdownParticipants, log.For<ShutdownParticipantsService>()));

            // First to start: it refuses to run beside another agent on the same data directory.
            var dispatcher = new LocalAdminDispatcher(new EngineAdminHandler(engine), reboot);
            services.AddHostedService(new LocalAdminServer(options.AdminSocketPath, dispatcher, log.For<LocalAdminServer>()));

            // Opens the engine once the admin socket has claimed the data directory.
            services.AddHostedService(engine);
            services.AddHostedService(new HalService(hal, engine));
            var announcer = new ConsoleAnnouncer(launch.Output, options, bootCause, () => engine.Engine.Identity);
            services.AddReadinessObserver(services.AddHostedService(announcer));
            services.AddReadinessObserver(services.AddHostedService(new SystemdLifecycleNotifier(notifier)));

            // MTP listeners; readiness waits for each. Once all listen, the notification loop starts (Boot! first).
            ILogger coapLog = log.For<UdpCoapTransport>();
            var dtlsIdentity = new DtlsAgentIdentity(options, log.For<DtlsAgentIdentity>());
            var dtlsSettings = new DtlsSessionSettings { IdleTimeout = options.DtlsIdleTimeout, MaxSessions = options.DtlsMaxSessions };
            ICoapTransportFactory[] coapTransports =
            [
                new UdpCoapTransportFactory(message => coapLog.LogDebug("{Message}", message)),
                new DtlsCoapTransportFactory(dtlsIdentity, () => engine.Engine, dtlsSettings, log.For<DtlsCoapTransport>()),
            ];
            var coap = new CoapMtpListener(options, engine.WhenOpen, outbound, coapTransports, log.For<CoapMtpListener>(), hostNames: mdns);
            services.AddMtpListener(coap);

            // The mDNS/DNS-SD backend advertises what the MTP serves. It comes after the MTP so that it stops first:
            // the goodbye goes out while the MTP still answers.
            if (options.Mdns)
            {
                services.AddHostedService(DiscoveryComposition.Backend(options.Discovery, engine, coap.Served, mdnsInterfaces, log, time));
            }

            services.AddReadinessObserver(services.AddHostedService(new NotificationRunner(engine, log.For<NotificationRunner>())));

            if (systemd.WatchdogPingInterval is { } pingInterval)
            {
                services.AddHostedService(new SystemdWatchdogService(notifier, pingInterval, time));
            }

            services.AddHostedService(new ReadinessService(services.MtpListeners, services.ReadinessObservers, lifetime, exitCode, log.For<ReadinessService>()));
            additions.Services?.Invoke(services, lifetime);

            var host = new AgentHost(services.HostedServices, services.Owned, lifetime, ShutdownTimeout, log.For<AgentHost>());
            return new ComposedAgent(host, lifetime, options, log, exitCode, plan);
        }

        private static void CreateDirectory(string directory, string what)
        {
            try
            {
                Directory.CreateDirectory(directory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new AgentConfigurationException($"cannot create {what} {directory}: {e.Message}");
            }
        }
    }

    /// <summary>One composed agent: its host and what the process reads once the host has stopped.</summary>
    internal sealed record ComposedAgent(
        AgentHost Host, AgentLifetime Lifetime, AgentOptions Options, ConsoleLog Log, AgentExitCode ExitCode, RestartPlan Plan);

    /// <summary>What tests and benchmarks add to the agent's own services: a clock, systemd's side, and services added after the agent's.</summary>
    internal sealed record AgentAdditions
    {
        public TimeProvider Time { get; init; } = TimeProvider.System;

        /// <summary>Replaces the sd_notify sender (by default the package's, on the process's NOTIFY_SOCKET).</summary>
        public ISystemdNotifier? SystemdNotifier { get; init; }

        /// <summary>Replaces <see cref="SystemdHelpers.IsSystemdService"/> (whose parent process is systemd).</summary>
        public bool? IsSystemdService { get; init; }

        /// <summary>Called with the agent's services and its lifetime once the agent's own are in the list.</summary>
        public Action<AgentServiceList, IHostApplicationLifetime>? Services { get; init; }
    }
}

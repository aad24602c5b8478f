using Microsoft.Extensions.Hosting;
using Usp.Agent.Hosting.Reboot;
using Usp.DataModel;

namespace Usp.Agent.Hosting;

/// <summary>
/// Talks to the operator on stdout: the start-up banner, then, once ready, the listening URIs, a command
/// to query the agent, and the line starting with <c>usp-agent ready</c> that scripts wait for.
/// </summary>
internal sealed class ConsoleAnnouncer(TextWriter output, AgentOptions options, IBootCauseStore bootCause, Func<DeviceIdentity> identity) : IHostedService, IReadinessObserver
{
    public const string ReadyLinePrefix = "usp-agent ready";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        output.WriteLine(AgentVersion.Describe());
        output.WriteLine($"data directory: {options.DataDir}");
        DeviceIdentity device = identity();
        output.WriteLine($"endpoint id: {device.EndpointId}");
        output.WriteLine($"manufacturer oui: {device.ManufacturerOui} ({device.OuiSource})");
        output.WriteLine($"serial number: {device.SerialNumber} ({device.SerialSource})");
        output.WriteLine($"product class: {device.ProductClass}");
        output.WriteLine($"factory defaults: {options.FactoryDefaults}{(File.Exists(options.FactoryDefaults) ? "" : " (not found)")}");
        output.WriteLine($"boot cause: {bootCause.CurrentBoot.Cause}");
        output.WriteLine($"local administration: {options.AdminSocketPath}");
        output.Flush();
        return Task.CompletedTask;
    }

    public void OnReady(AgentReadyState state)
    {
        foreach (string uri in state.ListeningUris)
        {
            output.WriteLine($"listening: {uri}");
        }

        if (state.ListeningUris.FirstOrDefault(u => u.StartsWith("coaps://", StringComparison.Ordinal)) is { } coaps && options.Certificate is null)
        {
            string dtls = Path.Combine(options.DataDir, "dtls");
            output.WriteLine($"coaps (development identity in {dtls}): coap-client-openssl -m post -t 42 -f RECORD -c {Path.Combine(dtls, "controller.pem")} " +
                $"-j {Path.Combine(dtls, "controller.key")} -R {Path.Combine(dtls, "ca.pem")} '{Reachable(coaps)}?reply-to=coaps://HOST:PORT/PATH'");
        }

        if (state.ListeningUris.Count > 0)
        {
            output.WriteLine($"query it: {SelfCommand.Describe()} ctl --agent {Reachable(state.ListeningUris[0])} get Device.DeviceInfo.");
            if (state.ListeningUris.FirstOrDefault(u => u.StartsWith("coaps://", StringComparison.Ordinal)) is { } secure && options.Certificate is null)
            {
                string dtls = Path.Combine(options.DataDir, "dtls");
                output.WriteLine($"query it over coaps: {SelfCommand.Describe()} ctl --agent {Reachable(secure)} --cert {Path.Combine(dtls, "controller.pem")} " +
                    $"--key {Path.Combine(dtls, "controller.key")} --trust-store {Path.Combine(dtls, "ca.pem")} get Device.DeviceInfo.");
            }

            output.WriteLine(ReadyLinePrefix);
        }
        else
        {
            output.WriteLine($"{ReadyLinePrefix} (no MTP listens: no USP Records are served)");
        }

        output.Flush();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>A wildcard bind address is not something a client can send to: show loopback instead.</summary>
    private static string Reachable(string uri) =>
        uri.Replace("://0.0.0.0:", "://127.0.0.1:", StringComparison.Ordinal).Replace("://[::]:", "://[::1]:", StringComparison.Ordinal);
}

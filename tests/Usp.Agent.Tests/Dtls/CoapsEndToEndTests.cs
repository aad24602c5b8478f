using System.Diagnostics;
using System.Text;
using Usp.Agent.Dtls;
using Usp.Agent.Tests.EndToEnd;
using Usp.Agent.Tests.Hosting;
using AgentProcess = Usp.Agent.Tests.EndToEnd.AgentProcess;
using TempDirectory = Usp.Agent.Tests.Hosting.TempDirectory;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.Dtls;

/// <summary>
/// The real agent serving coaps with certificates from gen-cert: libcoap's coap-client-openssl POSTs a USP Record,
/// the GetResp arrives over DTLS at a Controller-side server that is not ours (openssl s_server -dtls1_2).
/// </summary>
public class CoapsEndToEndTests
{
    /// <summary>Factory-default lines for a coaps MTP (MTP.2) beside E2EAgent's coap one.</summary>
    internal const string CoapsMtp = """

        Device.LocalAgent.MTP.2.Enable "true"
        Device.LocalAgent.MTP.2.Protocol "CoAP"
        Device.LocalAgent.MTP.2.CoAP.Port "5684"
        Device.LocalAgent.MTP.2.CoAP.Path "/e/${EndpointID}"
        Device.LocalAgent.MTP.2.CoAP.EnableEncryption "true"

        """;

    internal sealed class Bed : IAsyncDisposable
    {
        private readonly TempDirectory _directory = new();
        private readonly Process _controllerServer;
        private readonly StringBuilder _controllerOutput = new();

        private Bed(DevelopmentIdentity pki, AgentProcess agent, int coapsPort, Process controllerServer, int controllerPort, TempDirectory directory)
        {
            _directory = directory;
            Pki = pki;
            Agent = agent;
            CoapsPort = coapsPort;
            _controllerServer = controllerServer;
            ControllerPort = controllerPort;
            _controllerServer.OutputDataReceived += (_, e) => { lock (_controllerOutput) _controllerOutput.AppendLine(e.Data); };
            _controllerServer.BeginOutputReadLine();
            _controllerServer.BeginErrorReadLine();
        }

        public DevelopmentIdentity Pki { get; }

        public AgentProcess Agent { get; }

        public int CoapsPort { get; }

        public int ControllerPort { get; }

        public string ControllerOutput
        {
            get
            {
                lock (_controllerOutput)
                {
                    return _controllerOutput.ToString();
                }
            }
        }

        public string File(string name) => _directory.File(name);

        /// <summary><c>usp-agent ctl</c> over coaps to this agent with the given Controller certificate (the Bed's CA as trust store).</summary>
        public Task<(int ExitCode, string Output, string Error)> CtlAsync(string certificate, string key, params string[] request) =>
            AgentProcess.CliAsync(["ctl", "--agent", $"coaps://127.0.0.1:{CoapsPort}/e/{E2EAgent.AgentId}",
                "--cert", certificate, "--key", key, "--trust-store", Pki.CaCertificate, .. request]);

        /// <param name="absoluteTime">Agent:AbsoluteTime: auto, true or false.</param>
        /// <param name="extraDefaults">factory-default lines added after E2EAgent's and the coaps MTP's; <c>{controllerPort}</c> is s_server's port.</param>
        public static async Task<Bed> StartAsync(string absoluteTime = "auto", string extraDefaults = "")
        {
            var directory = new TempDirectory();
            System.IO.File.WriteAllText(directory.File("config.json"), $$"""{ "Agent": { "AbsoluteTime": "{{absoluteTime}}" } }""");
            int controllerPort = FreePort.Udp();
            var pki = new DevelopmentIdentity(directory.File("pki"));
            pki.Generate(E2EAgent.AgentId, E2EAgent.RawId, DateTimeOffset.UtcNow);
            System.IO.File.WriteAllText(directory.File("factory-defaults.txt"), E2EAgent.FactoryDefaultsFor(FreePort.Udp()) + CoapsMtp + extraDefaults.Replace("{controllerPort}", controllerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
            var info = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            foreach (string a in new[]
                     {
                         "s_server", "-dtls1_2", "-accept", $"127.0.0.1:{controllerPort}", "-cert", pki.ControllerCertificate, "-key", pki.ControllerKey,
                         "-CAfile", pki.CaCertificate, "-Verify", "1", "-quiet",
                     })
            {
                info.ArgumentList.Add(a);
            }

            Process server = Process.Start(info)!;
            int coapsPort = FreePort.Udp();
            AgentProcess agent = await AgentProcess.StartAsync(directory.File("var"), directory.File("factory-defaults.txt"), FreePort.Udp(), coapsPort,
                ["--config", directory.File("config.json"), "--endpoint-id", E2EAgent.AgentId, "--cert", pki.AgentCertificate, "--key", pki.AgentKey, "--trust-store", pki.CaCertificate, "--log-level", "debug"]);
            return new Bed(pki, agent, coapsPort, server, controllerPort, directory);
        }

        /// <summary>POSTs a Record with coap-client-openssl over coaps, reply-to the s_server Controller.</summary>
        public async Task<string> PostAsync(byte[] record, string certificate, string key)
        {
            string file = File($"record-{Guid.NewGuid():N}.bin");
            await System.IO.File.WriteAllBytesAsync(file, record);
            string uri = $"coaps://127.0.0.1:{CoapsPort}/e/{E2EAgent.AgentId}?reply-to=coaps://127.0.0.1:{ControllerPort}/ctrl";
            var (_, output, error) = await Tool.RunAsync("coap-client-openssl",
                ["-B", "10", "-m", "post", "-t", "42", "-f", file, "-c", certificate, "-j", key, "-R", Pki.CaCertificate, uri], timeout: TimeSpan.FromSeconds(40));
            return output + error;
        }

        public async ValueTask DisposeAsync()
        {
            await Agent.DisposeAsync();
            if (!_controllerServer.HasExited)
            {
                _controllerServer.Kill(entireProcessTree: true);
                await _controllerServer.WaitForExitAsync();
            }

            _controllerServer.Dispose();
            _directory.Dispose();
        }
    }

    internal static async Task<bool> Eventually(Func<bool> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        return condition();
    }

    [Fact]
    public async Task LibcoapController_PostsGetOverCoaps_AndTheGetRespArrivesOverDtlsAtOpenSslServer()
    {
        await using var bed = await Bed.StartAsync();
        await bed.PostAsync(E2EAgent.RecordBytes(E2EAgent.Get("coaps-get-1", "Device.DeviceInfo.Manufacturer")), bed.Pki.ControllerCertificate, bed.Pki.ControllerKey);

        Assert.True(await Eventually(() => bed.ControllerOutput.Contains("coaps-get-1", StringComparison.Ordinal), TimeSpan.FromSeconds(20)),
            $"s_server saw: {bed.ControllerOutput}\nagent:\n{bed.Agent.Output}");
        Assert.Contains("Device.DeviceInfo.Manufacturer", bed.ControllerOutput, StringComparison.Ordinal);
        Assert.Contains($"established: {E2EAgent.RawId}", bed.Agent.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordWhoseFromIdDiffersFromTheCertificate_GetsNoAnswer()
    {
        await using var bed = await Bed.StartAsync();

        // The certificate says proto::e2e-raw; the Record claims to come from proto::e2e-controller.
        await bed.PostAsync(E2EAgent.RecordBytes(E2EAgent.Get("spoof-1", "Device.DeviceInfo."), E2EAgent.ControllerId), bed.Pki.ControllerCertificate, bed.Pki.ControllerKey);
        await bed.PostAsync(E2EAgent.RecordBytes(E2EAgent.Get("honest-1", "Device.DeviceInfo.Manufacturer")), bed.Pki.ControllerCertificate, bed.Pki.ControllerKey);

        Assert.True(await Eventually(() => bed.ControllerOutput.Contains("honest-1", StringComparison.Ordinal), TimeSpan.FromSeconds(20)), bed.Agent.Output);
        Assert.DoesNotContain("spoof-1", bed.ControllerOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANotificationToAControllerWhoseMtpIsCoaps_GoesOverDtlsFromTheAgentAsClient_ToOpenSslServer()
    {
        // Controller.3 (proto::e2e-raw, whose certificate s_server presents) has a coaps MTP at s_server and subscribes to Boot!.
        await using var bed = await Bed.StartAsync(extraDefaults: $"""
            Device.LocalAgent.Controller.3.MTP.1.Enable "true"
            Device.LocalAgent.Controller.3.MTP.1.Protocol "CoAP"
            Device.LocalAgent.Controller.3.MTP.1.CoAP.Host "127.0.0.1"
            Device.LocalAgent.Controller.3.MTP.1.CoAP.Port "{"{"}controllerPort{"}"}"
            Device.LocalAgent.Controller.3.MTP.1.CoAP.Path "ctrl"
            Device.LocalAgent.Controller.3.MTP.1.CoAP.EnableEncryption "true"
            Device.LocalAgent.Subscription.1.Enable "true"
            Device.LocalAgent.Subscription.1.ID "boot-over-dtls"
            Device.LocalAgent.Subscription.1.Recipient "Device.LocalAgent.Controller.3"
            Device.LocalAgent.Subscription.1.NotifType "Event"
            Device.LocalAgent.Subscription.1.ReferenceList "Device.Boot!"

            """);

        // The agent opened the DTLS session itself (as client), checked that s_server's certificate names proto::e2e-raw,
        // and the Notify (Boot!, subscription boot-over-dtls) arrived decrypted at s_server.
        Assert.True(await Eventually(() => bed.ControllerOutput.Contains("boot-over-dtls", StringComparison.Ordinal), TimeSpan.FromSeconds(30)),
            $"s_server saw: {bed.ControllerOutput}\nagent:\n{bed.Agent.Output}");
        Assert.Contains("Boot!", bed.ControllerOutput, StringComparison.Ordinal);
        Assert.Contains($"DTLS session to 127.0.0.1:{bed.ControllerPort} established: {E2EAgent.RawId}", bed.Agent.Output, StringComparison.Ordinal);
    }
}

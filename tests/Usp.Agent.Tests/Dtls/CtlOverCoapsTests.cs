using Usp.Agent.Dtls;
using Usp.Agent.Tests.EndToEnd;
using Usp.Tests.Support;
using AgentProcess = Usp.Agent.Tests.EndToEnd.AgentProcess;
using TempDirectory = Usp.Agent.Tests.Hosting.TempDirectory;

namespace Usp.Agent.Tests.Dtls;

/// <summary><c>usp-agent ctl --agent coaps://…</c> against the real agent: DTLS both ways, the agent's identity checked.</summary>
public class CtlOverCoapsTests
{
    [Fact]
    public async Task The_banner_coaps_query_command_works_with_the_development_identity()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.File("factory-defaults.txt"), E2EAgent.FactoryDefaultsFor(FreePort.Udp()) + CoapsEndToEndTests.CoapsMtp);
        int coapsPort = FreePort.Udp();
        await using AgentProcess agent = await AgentProcess.StartAsync(directory.File("var"), directory.File("factory-defaults.txt"), FreePort.Udp(), coapsPort,
            ["--endpoint-id", E2EAgent.AgentId]);
        string command = agent.Output.Split('\n').Single(l => l.StartsWith("query it over coaps: ", StringComparison.Ordinal))["query it over coaps: ".Length..].Trim();
        Assert.Contains($"coaps://127.0.0.1:{coapsPort}/", command, StringComparison.Ordinal);

        // Pasted into a shell as it is: the development Controller certificate (proto::usp-agent-ctl) reads Device.DeviceInfo.
        var (exit, output, error) = await Tool.RunAsync("/bin/sh", ["-c", command]);

        Assert.True(exit == 0, $"{command}: exit {exit}: {error}\nagent:\n{agent.Output}");
        Assert.Contains("Device.DeviceInfo.Manufacturer = Usp.Agent", output, StringComparison.Ordinal);
        Assert.Contains($"established: {E2EAgent.CtlId}", agent.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctl_with_gen_cert_files_takes_its_from_id_from_the_certificate_and_sets_over_coaps()
    {
        await using var bed = await CoapsEndToEndTests.Bed.StartAsync();
        DevelopmentIdentity pki = bed.Pki;

        // gen-cert's Controller certificate here names proto::e2e-raw (full access): no --from needed.
        var (exit, output, error) = await AgentProcess.CliAsync("ctl", "--agent", $"coaps://127.0.0.1:{bed.CoapsPort}/e/{E2EAgent.AgentId}",
            "--cert", pki.ControllerCertificate, "--key", pki.ControllerKey, "--trust-store", pki.CaCertificate, "set", "Device.LocalAgent.Controller.3.ProvisioningCode=over-dtls");
        Assert.True(exit == 0, $"exit {exit}: {output} {error}\nagent:\n{bed.Agent.Output}");

        (exit, output, error) = await AgentProcess.CliAsync("get", "Device.LocalAgent.Controller.3.ProvisioningCode", "--data-dir", bed.Agent.DataDir);
        Assert.True(exit == 0, error);
        Assert.Equal("Device.LocalAgent.Controller.3.ProvisioningCode = over-dtls", output.Trim());
        Assert.Contains($"established: {E2EAgent.RawId}", bed.Agent.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctl_with_a_certificate_from_another_CA_gets_no_session_and_exit_1()
    {
        await using var bed = await CoapsEndToEndTests.Bed.StartAsync();
        var other = new DevelopmentIdentity(bed.File("other"));
        other.Generate(E2EAgent.AgentId, E2EAgent.RawId, DateTimeOffset.UtcNow);

        var (exit, output, error) = await AgentProcess.CliAsync("ctl", "--agent", $"coaps://127.0.0.1:{bed.CoapsPort}/e/{E2EAgent.AgentId}",
            "--cert", other.ControllerCertificate, "--key", other.ControllerKey, "--trust-store", bed.Pki.CaCertificate, "get", "Device.DeviceInfo.");

        Assert.True(exit == 1, $"exit {exit}: {output} {error}");
        Assert.Contains("no DTLS session with 127.0.0.1:", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Device.DeviceInfo.", output, StringComparison.Ordinal);
        Assert.True(await CoapsEndToEndTests.Eventually(() => bed.Agent.Output.Contains("unknown CA", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), bed.Agent.Output);
    }

    [Fact]
    public async Task Ctl_refuses_an_agent_whose_certificate_names_another_EndpointID()
    {
        await using var bed = await CoapsEndToEndTests.Bed.StartAsync();

        // The agent's certificate names proto::e2e-agent; ctl is told to expect proto::someone-else.
        var (exit, output, error) = await AgentProcess.CliAsync("ctl", "--agent", $"coaps://127.0.0.1:{bed.CoapsPort}/e/{E2EAgent.AgentId}", "--to", "proto::someone-else",
            "--cert", bed.Pki.ControllerCertificate, "--key", bed.Pki.ControllerKey, "--trust-store", bed.Pki.CaCertificate, "get", "Device.DeviceInfo.");

        Assert.True(exit == 1, $"exit {exit}: {output} {error}");
        Assert.Contains("proto::someone-else", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Device.DeviceInfo.", output, StringComparison.Ordinal);
    }

    /// <summary>The end-to-end suite's request kinds again over coaps: Add, Set, Get, GetInstances, GetSupportedDM, Delete, a USP error.</summary>
    [Fact]
    public async Task Every_request_kind_round_trips_over_coaps()
    {
        await using var bed = await CoapsEndToEndTests.Bed.StartAsync();
        string cert = bed.Pki.ControllerCertificate, key = bed.Pki.ControllerKey;

        var (exit, output, error) = await bed.CtlAsync(cert, key, "add", "Device.LocalAgent.Subscription.", "ID=over-dtls", "NotifType=ValueChange", "ReferenceList=Device.DeviceInfo.ProvisioningCode");
        Assert.True(exit == 0, $"add: exit {exit}: {output} {error}\nagent:\n{bed.Agent.Output}");
        string created = System.Text.RegularExpressions.Regex.Match(output, @"created (Device\.LocalAgent\.Subscription\.\d+\.)").Groups[1].Value;
        Assert.NotEqual("", created);

        (exit, output, error) = await bed.CtlAsync(cert, key, "set", created + "Enable=true");
        Assert.True(exit == 0, $"set: exit {exit}: {output} {error}");

        (exit, output, error) = await bed.CtlAsync(cert, key, "get", created + "ID", created + "Enable");
        Assert.True(exit == 0, $"get: exit {exit}: {output} {error}");
        Assert.Contains($"{created}ID = over-dtls", output, StringComparison.Ordinal);
        Assert.Contains($"{created}Enable = true", output, StringComparison.Ordinal);

        (exit, output, error) = await bed.CtlAsync(cert, key, "instances", "Device.LocalAgent.Subscription.");
        Assert.True(exit == 0, $"instances: exit {exit}: {output} {error}");
        Assert.Contains(created, output, StringComparison.Ordinal);

        (exit, output, error) = await bed.CtlAsync(cert, key, "supported-dm", "Device.LocalAgent.Subscription.");
        Assert.True(exit == 0, $"supported-dm: exit {exit}: {output} {error}");
        Assert.Contains("Device.LocalAgent.Subscription.{i}.", output, StringComparison.Ordinal);

        (exit, output, error) = await bed.CtlAsync(cert, key, "delete", created);
        Assert.True(exit == 0, $"delete: exit {exit}: {output} {error}");
        Assert.Contains($"deleted {created}", output, StringComparison.Ordinal);

        (exit, output, error) = await bed.CtlAsync(cert, key, "get", "Device.NoSuchObject.");
        Assert.Equal(1, exit);
        Assert.Contains("Device.NoSuchObject.", error, StringComparison.Ordinal);
    }
}

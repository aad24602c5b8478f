using System.Security.Cryptography.X509Certificates;
using Usp.Agent.Dtls;
using Usp.Agent.Tests.EndToEnd;
using Usp.Tests.Support;
using AgentProcess = Usp.Agent.Tests.EndToEnd.AgentProcess;
using TempDirectory = Usp.Agent.Tests.Hosting.TempDirectory;

namespace Usp.Agent.Tests.Dtls;

/// <summary>
/// The certificate-bound TP-469 cases against the real agent over coaps: libcoap's coap-client-openssl is the
/// Controller's client, openssl s_server -dtls1_2 its CoAP server (where the answers arrive over DTLS).
/// </summary>
public class Tp469DtlsTests
{
    private static async Task<(CoapsEndToEndTests.Bed Bed, string Expired, string ExpiredKey)> WithExpiredControllerCertificate(bool absoluteTime)
    {
        var bed = await CoapsEndToEndTests.Bed.StartAsync(absoluteTime ? "true" : "false");
        using X509Certificate2 ca = X509Certificate2.CreateFromPemFile(bed.Pki.CaCertificate, bed.Pki.CaKey);
        // Valid for one minute from the CA's own start (an hour ago): expired for 59 minutes.
        DateTimeOffset from = new DateTimeOffset(ca.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        using X509Certificate2 expired = DevelopmentCertificates.IssueEndpoint(ca, E2EAgent.RawId, ["localhost"], [], from, from.AddMinutes(1));
        string file = bed.File("expired.pem"), key = bed.File("expired.key");
        DevelopmentCertificates.WritePem(expired, file, key);
        return (bed, file, key);
    }

    [Fact]
    public async Task Tp469_2_6_WithoutAbsoluteTime_AnExpiredControllerCertificateIsAccepted_AndTheGetIsAnswered()
    {
        var (bed, expired, key) = await WithExpiredControllerCertificate(absoluteTime: false);
        await using (bed)
        {
            await bed.PostAsync(E2EAgent.RecordBytes(E2EAgent.Get("tp-2-6", "Device.LocalAgent.")), expired, key);

            // Metric: the EUT responds to the Get message with a GetResponse, ignoring the expired dates.
            Assert.True(await CoapsEndToEndTests.Eventually(() => bed.ControllerOutput.Contains("tp-2-6", StringComparison.Ordinal), TimeSpan.FromSeconds(20)), bed.Agent.Output);
            Assert.Contains("Device.LocalAgent.", bed.ControllerOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Tp469_2_8_WithAbsoluteTime_AnExpiredControllerCertificateIsRefused_AndTheGetIsNotAnswered()
    {
        var (bed, expired, key) = await WithExpiredControllerCertificate(absoluteTime: true);
        await using (bed)
        {
            await bed.PostAsync(E2EAgent.RecordBytes(E2EAgent.Get("tp-2-8", "Device.LocalAgent.")), expired, key);

            // Metric: the EUT doesn't respond to the Get message.
            await Task.Delay(3000);
            Assert.DoesNotContain("tp-2-8", bed.ControllerOutput, StringComparison.Ordinal);
            Assert.Contains("expired", bed.Agent.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Tp469_4_1_GetSupportedProtocolOverCoaps_IsAnsweredOverTheCertificateSecuredMtp()
    {
        await using var bed = await CoapsEndToEndTests.Bed.StartAsync();
        var msg = E2EAgent.Request("tp-4-1", Usp.Proto.Header.Types.MsgType.GetSupportedProto,
            new Usp.Proto.Request { GetSupportedProtocol = new Usp.Proto.GetSupportedProtocol { ControllerSupportedProtocolVersions = "1.3,1.4" } });
        await bed.PostAsync(E2EAgent.RecordBytes(msg), bed.Pki.ControllerCertificate, bed.Pki.ControllerKey);

        // Metric: the EUT processes the certificate and establishes a secure connection at the MTP layer (and answers over it).
        Assert.True(await CoapsEndToEndTests.Eventually(() => bed.ControllerOutput.Contains("tp-4-1", StringComparison.Ordinal), TimeSpan.FromSeconds(20)), bed.Agent.Output);
        Assert.Contains($"established: {E2EAgent.RawId}", bed.Agent.Output, StringComparison.Ordinal);
        Assert.Contains("1.4", bed.ControllerOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tp469_5_8_ControllerEstablishesADtlsSession_AndGetsTheGetResponse()
    {
        await using var bed = await CoapsEndToEndTests.Bed.StartAsync();
        await bed.PostAsync(E2EAgent.RecordBytes(E2EAgent.Get("tp-5-8", "Device.LocalAgent.")), bed.Pki.ControllerCertificate, bed.Pki.ControllerKey);

        // Metric: the Controller is able to establish a DTLS session with the EUT (the GetResp arrives over DTLS too).
        Assert.True(await CoapsEndToEndTests.Eventually(() => bed.ControllerOutput.Contains("tp-5-8", StringComparison.Ordinal), TimeSpan.FromSeconds(20)), bed.Agent.Output);
        Assert.Contains($"established: {E2EAgent.RawId}", bed.Agent.Output, StringComparison.Ordinal);
    }

    internal const string SecondaryId = "proto::e2e-secondary";

    /// <summary>An Untrusted role that reads Device.DeviceInfo. only, named by UntrustedRole, and a secondary Controller row without a role.</summary>
    internal const string UntrustedRoleAndSecondaryController = $"""
        Device.LocalAgent.ControllerTrust.Role.2.Alias "untrusted"
        Device.LocalAgent.ControllerTrust.Role.2.Enable "true"
        Device.LocalAgent.ControllerTrust.Role.2.Name "Untrusted"
        Device.LocalAgent.ControllerTrust.Role.2.Permission.1.Enable "true"
        Device.LocalAgent.ControllerTrust.Role.2.Permission.1.Order "1"
        Device.LocalAgent.ControllerTrust.Role.2.Permission.1.Targets "Device.DeviceInfo."
        Device.LocalAgent.ControllerTrust.Role.2.Permission.1.Param "r---"
        Device.LocalAgent.ControllerTrust.Role.2.Permission.1.Obj "r---"
        Device.LocalAgent.ControllerTrust.Role.2.Permission.1.InstantiatedObj "r---"
        Device.LocalAgent.ControllerTrust.Role.2.Permission.1.CommandEvent "----"
        Device.LocalAgent.ControllerTrust.UntrustedRole "Device.LocalAgent.ControllerTrust.Role.2"
        Device.LocalAgent.Controller.5.Enable "true"
        Device.LocalAgent.Controller.5.EndpointID "{SecondaryId}"

        """;

    /// <summary>A Controller certificate for <paramref name="endpointId"/> issued by the Bed's CA, as PEM files.</summary>
    private static (string Certificate, string Key) IssueFromBedCa(CoapsEndToEndTests.Bed bed, string endpointId, string name)
    {
        using X509Certificate2 ca = X509Certificate2.CreateFromPemFile(bed.Pki.CaCertificate, bed.Pki.CaKey);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 leaf = DevelopmentCertificates.IssueEndpoint(ca, endpointId, ["localhost"], [], now.AddHours(-1), now.AddDays(30));
        string file = bed.File($"{name}.pem"), key = bed.File($"{name}.key");
        DevelopmentCertificates.WritePem(leaf, file, key);
        return (file, key);
    }

    /// <summary>The value of <paramref name="path"/> in ctl's readable output (<c>path = value</c> lines).</summary>
    internal static string? ValueIn(string output, string path) =>
        output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(path + " = ", StringComparison.Ordinal))?[(path.Length + 3)..];

    [Fact]
    public async Task Tp469_2_9_ASecondaryControllerWithACertificateFromATrustedCa_IsAssignedTheUntrustedRole()
    {
        await using var bed = await CoapsEndToEndTests.Bed.StartAsync(extraDefaults: UntrustedRoleAndSecondaryController);
        var secondary = IssueFromBedCa(bed, SecondaryId, "secondary");
        var (exit, output, error) = await AgentProcess.CliAsync("get", "Device.LocalAgent.Controller.5.AssignedRole", "--data-dir", bed.Agent.DataDir);
        Assert.True(exit == 0, error);
        Assert.Equal("Device.LocalAgent.Controller.5.AssignedRole =", output.Trim());

        // Step 1: the secondary Controller connects over DTLS and sends a Get (the Untrusted role lets it read DeviceInfo only).
        (exit, output, error) = await bed.CtlAsync(secondary.Certificate, secondary.Key, "get", "Device.DeviceInfo.Manufacturer");
        Assert.True(exit == 0, $"exit {exit}: {output} {error}\nagent:\n{bed.Agent.Output}");
        Assert.Equal("Usp.Agent", ValueIn(output, "Device.DeviceInfo.Manufacturer"));
        (exit, _, _) = await bed.CtlAsync(secondary.Certificate, secondary.Key, "get", "Device.LocalAgent.EndpointID");
        Assert.Equal(1, exit);

        // Step 2: the primary trusted Controller reads the Controller table (and the UntrustedRole to compare with).
        (exit, output, error) = await bed.CtlAsync(bed.Pki.ControllerCertificate, bed.Pki.ControllerKey, "get", "Device.LocalAgent.Controller.", "Device.LocalAgent.ControllerTrust.UntrustedRole");
        Assert.True(exit == 0, $"exit {exit}: {output} {error}");

        // Metric: Controller.<secondary>.AssignedRole matches the value of ControllerTrust.UntrustedRole.
        Assert.Equal(E2EAgent.RawId, ValueIn(output, "Device.LocalAgent.Controller.3.EndpointID"));
        Assert.Equal(SecondaryId, ValueIn(output, "Device.LocalAgent.Controller.5.EndpointID"));
        string? untrusted = ValueIn(output, "Device.LocalAgent.ControllerTrust.UntrustedRole");
        Assert.Equal("Device.LocalAgent.ControllerTrust.Role.2", untrusted);
        Assert.Equal(untrusted, ValueIn(output, "Device.LocalAgent.Controller.5.AssignedRole"));
    }

    [Fact]
    public async Task Tp469_9_2_AddCertificate_TrustsTheControllersNewCertificate_WhichThenConnects_AndDeleteRemovesIt()
    {
        await using var bed = await CoapsEndToEndTests.Bed.StartAsync();

        // Test setup 2: an alternate certificate the EUT hasn't seen: self-issued by a CA it does not know, for the same Controller.
        var other = new DevelopmentIdentity(bed.File("alternate"));
        other.Generate(E2EAgent.AgentId, E2EAgent.RawId, DateTimeOffset.UtcNow);
        var (exit, output, error) = await bed.CtlAsync(other.ControllerCertificate, other.ControllerKey, "get", "Device.DeviceInfo.Manufacturer");
        Assert.True(exit == 1, $"not yet trusted, yet exit {exit}: {output} {error}");

        // Step 1: AddCertificate() with the new certificate, from the Controller's current (trusted) certificate.
        string pem = File.ReadAllText(other.ControllerCertificate).Trim();
        (exit, output, error) = await bed.CtlAsync(bed.Pki.ControllerCertificate, bed.Pki.ControllerKey,
            "operate", "Device.LocalAgent.AddCertificate()", "Alias=addedCert", $"Certificate={pem}");
        // Metric 1: the EUT sends an OperateResponse after step 1.
        Assert.True(exit == 0, $"exit {exit}: {output} {error}\nagent:\n{bed.Agent.Output}");
        Assert.Contains("Device.LocalAgent.AddCertificate(): done", output, StringComparison.Ordinal);

        // Steps 2-4: the Controller uses the new certificate, re-establishes the connection and reads the Certificate table.
        (exit, output, error) = await bed.CtlAsync(other.ControllerCertificate, other.ControllerKey, "get", "Device.LocalAgent.Certificate.");
        // Metric 2: the EUT accepts the connection with the new certificate.
        Assert.True(exit == 0, $"exit {exit}: {output} {error}\nagent:\n{bed.Agent.Output}");
        // Metric 3: the GetResponse contains an instance whose Alias matches the certificate added in step 1.
        string aliasLine = Assert.Single(output.Split('\n'), l => l.Trim().EndsWith(".Alias = addedCert", StringComparison.Ordinal)).Trim();
        string instance = aliasLine[..^"Alias = addedCert".Length];
        using var added = X509Certificate2.CreateFromPem(pem);
        Assert.Equal(added.SerialNumber, ValueIn(output, instance + "SerialNumber"));

        // Step 5: Delete() that instance.
        (exit, output, error) = await bed.CtlAsync(bed.Pki.ControllerCertificate, bed.Pki.ControllerKey, "operate", instance + "Delete()");
        // Metric 4: the EUT sends an OperateResponse after step 5.
        Assert.True(exit == 0, $"exit {exit}: {output} {error}");
        Assert.Contains(instance + "Delete(): done", output, StringComparison.Ordinal);

        // And the deleted certificate no longer opens a session.
        (exit, output, error) = await bed.CtlAsync(other.ControllerCertificate, other.ControllerKey, "get", "Device.DeviceInfo.Manufacturer");
        Assert.True(exit == 1, $"deleted, yet exit {exit}: {output} {error}");
    }

    [Fact]
    public async Task ControllerTrustCredential_GivesAControllerValidatedByThatCertificate_ItsRoleAsInheritedRole()
    {
        await using var bed = await CoapsEndToEndTests.Bed.StartAsync(extraDefaults: UntrustedRoleAndSecondaryController);
        var operators = new DevelopmentIdentity(bed.File("operators"));
        operators.Generate(E2EAgent.AgentId, SecondaryId, DateTimeOffset.UtcNow);
        string primaryCert = bed.Pki.ControllerCertificate, primaryKey = bed.Pki.ControllerKey;

        // The operators' CA becomes a trust anchor in Device.LocalAgent.Certificate.
        var (exit, output, error) = await bed.CtlAsync(primaryCert, primaryKey, "operate", "Device.LocalAgent.AddCertificate()", "Alias=operators-ca",
            $"Certificate={File.ReadAllText(operators.CaCertificate).Trim()}");
        Assert.True(exit == 0, $"exit {exit}: {output} {error}\nagent:\n{bed.Agent.Output}");
        (exit, output, error) = await bed.CtlAsync(primaryCert, primaryKey, "get", "Device.LocalAgent.Certificate.");
        string instance = Assert.Single(output.Split('\n'), l => l.Trim().EndsWith(".Alias = operators-ca", StringComparison.Ordinal)).Trim()[..^"Alias = operators-ca".Length];

        // Without a Credential row the secondary Controller (certificate from that CA, no AssignedRole) is untrusted: DeviceInfo only.
        (exit, output, error) = await bed.CtlAsync(operators.ControllerCertificate, operators.ControllerKey, "get", "Device.LocalAgent.EndpointID");
        Assert.True(exit == 1, $"untrusted, yet exit {exit}: {output} {error}\nagent:\n{bed.Agent.Output}");

        // ControllerTrust.Credential: Controllers validated by that certificate inherit the full-access Role.1.
        (exit, output, error) = await bed.CtlAsync(primaryCert, primaryKey, "add", "Device.LocalAgent.ControllerTrust.Credential.",
            "Enable=true", "Role=Device.LocalAgent.ControllerTrust.Role.1", $"Credential={instance.TrimEnd('.')}");
        Assert.True(exit == 0, $"exit {exit}: {output} {error}");

        (exit, output, error) = await bed.CtlAsync(operators.ControllerCertificate, operators.ControllerKey, "get", "Device.LocalAgent.EndpointID");
        Assert.True(exit == 0, $"exit {exit}: {output} {error}\nagent:\n{bed.Agent.Output}");
        Assert.Equal(E2EAgent.AgentId, ValueIn(output, "Device.LocalAgent.EndpointID"));

        (exit, output, error) = await bed.CtlAsync(primaryCert, primaryKey, "get", "Device.LocalAgent.Controller.5.");
        Assert.True(exit == 0, $"exit {exit}: {output} {error}");
        Assert.Equal("Device.LocalAgent.ControllerTrust.Role.1", ValueIn(output, "Device.LocalAgent.Controller.5.InheritedRole"));

        // The primary Controller, validated by the configured trust store and not by that certificate, inherits nothing.
        (exit, output, error) = await bed.CtlAsync(primaryCert, primaryKey, "get", "Device.LocalAgent.Controller.3.InheritedRole");
        Assert.True(exit == 0, $"exit {exit}: {output} {error}");
        Assert.Equal("Device.LocalAgent.Controller.3.InheritedRole =", output.Trim());
    }
}

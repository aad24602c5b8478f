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
}

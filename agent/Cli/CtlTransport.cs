using System.Net;
using Microsoft.Extensions.Logging;
using Usp.Agent.Coap;
using Usp.Agent.Dtls;
using Usp.Agent.Hosting.Logging;

namespace Usp.Agent.Cli;

/// <summary>The files ctl proves its identity with over coaps (<c>--cert</c>, <c>--key</c>) and the CAs it trusts for the agent (<c>--trust-store</c>).</summary>
internal sealed record CtlCertificates(string Certificate, string Key, string TrustStore);

/// <summary>
/// ctl's socket: plain UDP for coap://; for coaps:// our DTLS transport as a client with the Controller's certificate,
/// expecting the agent's certificate to chain to the trust store and name the agent's EndpointID (else its host).
/// The agent answers over the same session (it already has one with ctl's address and port).
/// </summary>
internal static class CtlTransport
{
    /// <exception cref="Usp.Agent.Hosting.AgentConfigurationException">a certificate, key or trust-store file is missing or unusable.</exception>
    /// <param name="certificateEndpointId">the EndpointID the Controller certificate names (ctl's default --from over coaps), or null.</param>
    public static ICoapTransport Bind(IPEndPoint local, CtlCertificates? certificates, IPEndPoint agent, string agentHost, string agentId, TextWriter error, out string? certificateEndpointId)
    {
        certificateEndpointId = null;
        if (certificates is null)
        {
            return UdpCoapTransport.Bind(local);
        }

        AgentCredentials credentials = AgentCredentials.Load(certificates.Certificate, certificates.Key, "--cert", "--key");
        certificateEndpointId = credentials.EndpointId;
        var anchors = new TrustAnchors(PemCertificates.Load(certificates.TrustStore, "--trust-store"));
        var time = new AbsoluteTime(TimeProvider.System, AbsoluteTime.BuildTimeOf(typeof(CtlTransport)));
        var security = new DtlsSecurity(credentials, new PeerCertificateValidator(anchors, time));

        // Handshake failures (unknown CA, identity mismatch, timeout) reach the operator on stderr.
        var log = new ConsoleLog(error, ConsoleLogFormat.Simple, LogLevel.Warning, TimeProvider.System);
        var settings = new DtlsSessionSettings { HandshakeTimeout = CtlClient.HandshakeTimeout, MaxSessions = 4, MaxHandshakes = 2 };
        DtlsCoapTransport transport = DtlsCoapTransport.Bind(local, security, settings, log.CreateLogger("usp-agent ctl"));
        transport.Expect(agent, agentHost, agentId);
        return transport;
    }
}

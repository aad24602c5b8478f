using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Usp.Agent.Dtls;

/// <summary>
/// A development PKI in one directory: a CA (<c>ca.pem</c>, <c>ca.key</c>), the agent's certificate
/// (<c>agent.pem</c>, <c>agent.key</c>) and a Controller's (<c>controller.pem</c>, <c>controller.key</c>), all
/// issued by that CA. <c>usp-agent gen-cert</c> writes one; the agent keeps one under its data directory when no
/// certificate is configured, so that coaps works out of the box.
/// </summary>
internal sealed record DevelopmentIdentity(string Directory)
{
    /// <summary>The Controller EndpointID of the development Controller certificate: ctl's default <c>--from</c>.</summary>
    public const string DefaultControllerId = "proto::usp-agent-ctl";

    public static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    public static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(825);

    public string CaCertificate => Path.Combine(Directory, "ca.pem");

    public string CaKey => Path.Combine(Directory, "ca.key");

    public string AgentCertificate => Path.Combine(Directory, "agent.pem");

    public string AgentKey => Path.Combine(Directory, "agent.key");

    public string ControllerCertificate => Path.Combine(Directory, "controller.pem");

    public string ControllerKey => Path.Combine(Directory, "controller.key");

    /// <summary>Writes a new CA, agent and Controller certificate (replacing any there).</summary>
    public void Generate(string agentEndpointId, string controllerEndpointId, DateTimeOffset now, IEnumerable<string>? extraDnsNames = null, IEnumerable<IPAddress>? extraAddresses = null)
    {
        System.IO.Directory.CreateDirectory(Directory);
        DateTimeOffset notBefore = now - TimeSpan.FromHours(1);
        using X509Certificate2 ca = DevelopmentCertificates.CreateAuthority($"Usp.Agent development CA {Convert.ToHexString(RandomNumberGenerator.GetBytes(4))}", notBefore, notBefore + CaLifetime);
        DevelopmentCertificates.WritePem(ca, CaCertificate, CaKey);
        IssueAgent(ca, agentEndpointId, notBefore, extraDnsNames, extraAddresses);
        using X509Certificate2 controller = DevelopmentCertificates.IssueEndpoint(
            ca, controllerEndpointId, ["localhost"], [IPAddress.Loopback, IPAddress.IPv6Loopback], notBefore, notBefore + LeafLifetime);
        DevelopmentCertificates.WritePem(controller, ControllerCertificate, ControllerKey);
    }

    /// <summary>
    /// Keeps the identity when it is complete and its agent certificate names <paramref name="agentEndpointId"/>;
    /// re-issues the agent certificate from the kept CA when the EndpointID changed; otherwise generates all anew.
    /// Returns what it did, for the log.
    /// </summary>
    public string Ensure(string agentEndpointId, DateTimeOffset now)
    {
        if (File.Exists(CaCertificate) && File.Exists(CaKey) && File.Exists(ControllerCertificate))
        {
            try
            {
                if (File.Exists(AgentCertificate) && File.Exists(AgentKey))
                {
                    using X509Certificate2 agent = X509Certificate2.CreateFromPemFile(AgentCertificate, AgentKey);
                    if (CertificateNames.Of(agent).EndpointId == agentEndpointId)
                    {
                        return $"using the development identity in {Directory}";
                    }
                }

                using X509Certificate2 ca = X509Certificate2.CreateFromPemFile(CaCertificate, CaKey);
                IssueAgent(ca, agentEndpointId, now - TimeSpan.FromHours(1), null, null);
                return $"issued a development agent certificate for {agentEndpointId} in {Directory}";
            }
            catch (CryptographicException)
            {
                // Damaged files: start again below.
            }
        }

        Generate(agentEndpointId, DefaultControllerId, now);
        return $"generated a development identity (CA, agent and Controller certificates) in {Directory}";
    }

    private void IssueAgent(X509Certificate2 ca, string agentEndpointId, DateTimeOffset notBefore, IEnumerable<string>? extraDnsNames, IEnumerable<IPAddress>? extraAddresses)
    {
        var dns = new List<string> { "localhost" };
        string host = Environment.MachineName;
        if (host.Length > 0 && Uri.CheckHostName(host) == UriHostNameType.Dns && !dns.Contains(host, StringComparer.OrdinalIgnoreCase))
        {
            dns.Add(host);
        }

        dns.AddRange(extraDnsNames ?? []);
        using X509Certificate2 agent = DevelopmentCertificates.IssueEndpoint(
            ca, agentEndpointId, dns, [IPAddress.Loopback, IPAddress.IPv6Loopback, .. extraAddresses ?? []], notBefore, notBefore + LeafLifetime);
        DevelopmentCertificates.WritePem(agent, AgentCertificate, AgentKey);
    }
}

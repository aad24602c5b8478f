using System.Text;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;

namespace Usp.Agent.Dtls;

/// <summary>
/// The agent's side of a DTLS 1.2 client handshake (BouncyCastle <see cref="TlsClient"/>): presents the agent
/// certificate when asked, checks the server's chain against the trust anchors and its identity (the expected
/// Controller EndpointID in the subjectAltName, else a DNS name or IP address matching the host), offers the
/// session of an earlier connection for resumption (the library falls back to a full handshake when refused).
/// </summary>
internal sealed class AgentDtlsClient(DtlsSecurity security, DtlsHandshakeObserver observer, DtlsSessionSettings settings, DtlsClientTarget target)
    : AbstractTlsClient(security.Crypto)
{
    public DtlsPeerIdentity? Identity { get; private set; }

    /// <summary>The session to keep for resumption after a full handshake, or null.</summary>
    public TlsSession? NewSession { get; private set; }

    /// <summary>Whether the handshake resumed <see cref="DtlsClientTarget.Resume"/>.</summary>
    public bool Resumed { get; private set; }

    private PeerCertificateVerdict? _verdict;

    private DtlsSecurity Security => security;

    private DtlsHandshakeObserver Observer => observer;

    private DtlsClientTarget Target => target;

    private TlsClientContext Context => m_context;

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() =>
        TlsUtilities.GetSupportedCipherSuites(Crypto, target.Psk is not null ? DtlsSecurity.PskSuites : security.CipherSuites.Except(DtlsSecurity.PskSuites).ToArray());

    public override int GetHandshakeTimeoutMillis() => (int)settings.HandshakeTimeout.TotalMilliseconds;

    public override bool RequiresExtendedMasterSecret() => false;

    public override TlsSession? GetSessionToResume() => target.Resume;

    public override TlsPskIdentity? GetPskIdentity() =>
        target.Psk is { } psk ? new BasicTlsPskIdentity(psk.Identity, psk.Key) : null;

    protected override byte[]? GetNewConnectionID() => settings.ConnectionIdLength > 0 ? observer.NewConnectionId() : null;

    public override TlsAuthentication GetAuthentication() => new Authentication(this);

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        SecurityParameters parameters = m_context.SecurityParameters;
        TlsSession session = m_context.Session;
        Resumed = target.Resume is not null && session is not null && target.Resume.SessionID.AsSpan().SequenceEqual(session.SessionID);
        NewSession = session is { IsResumable: true } ? session : null;
        Identity = new DtlsPeerIdentity
        {
            EndpointId = _verdict?.Names.EndpointId ?? (Resumed ? target.ResumedIdentity?.EndpointId : null),
            CertificateTrusted = _verdict?.Trusted ?? (Resumed && (target.ResumedIdentity?.CertificateTrusted ?? false)),
            Certificate = _verdict?.Leaf.RawData ?? (Resumed ? target.ResumedIdentity?.Certificate : null),
            Anchor = _verdict?.Anchor?.RawData ?? (Resumed ? target.ResumedIdentity?.Anchor : null),
            PskIdentity = target.Psk?.Identity,
            Resumed = Resumed,
            CipherSuite = DtlsNames.CipherSuite(parameters.CipherSuite),
        };
    }

    public override void NotifyAlertRaised(short alertLevel, short alertDescription, string message, Exception cause) =>
        observer.AlertRaised(alertLevel, alertDescription, message ?? cause?.Message);

    public override void NotifyAlertReceived(short alertLevel, short alertDescription) => observer.AlertReceived(alertLevel, alertDescription);

    private sealed class Authentication(AgentDtlsClient client) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate)
        {
            Certificate certificate = serverCertificate.Certificate;
            if (certificate is null || certificate.IsEmpty)
            {
                client.Observer.Rejected("the server presented no certificate");
                throw new TlsFatalAlert(AlertDescription.handshake_failure);
            }

            PeerCertificateVerdict verdict = client.Security.Validator.Validate(DtlsSecurity.ToX509(certificate));
            if (!verdict.Trusted)
            {
                client.Observer.Rejected($"server certificate {verdict.Leaf.Subject} rejected: {verdict.Failure}");
                throw new TlsFatalAlert(DtlsSecurity.AlertFor(verdict), verdict.Failure);
            }

            if (!PeerNameMatcher.Matches(verdict.Names, client.Target.ExpectedEndpointId, client.Target.Host))
            {
                string wanted = client.Target.ExpectedEndpointId is { } id ? $"EndpointID {id} or host {client.Target.Host}" : $"host {client.Target.Host}";
                client.Observer.Rejected($"server certificate {verdict.Leaf.Subject} does not name {wanted}");
                throw new TlsFatalAlert(AlertDescription.bad_certificate, "identity mismatch");
            }

            client._verdict = verdict;
        }

        public TlsCredentials? GetClientCredentials(CertificateRequest certificateRequest) =>
            client.Security.Credentials is null ? null : client.Security.Signer(client.Context, certificateRequest.SupportedSignatureAlgorithms);
    }
}

/// <summary>Where a client handshake goes and what it expects there.</summary>
internal sealed record DtlsClientTarget(string Host, string? ExpectedEndpointId)
{
    /// <summary>A session of an earlier connection to the same peer, offered for resumption.</summary>
    public TlsSession? Resume { get; init; }

    /// <summary>The identity proved when <see cref="Resume"/> was established (a resumed handshake carries no certificate).</summary>
    public DtlsPeerIdentity? ResumedIdentity { get; init; }

    /// <summary>Use this pre-shared key instead of certificates.</summary>
    public DtlsPsk? Psk { get; init; }
}

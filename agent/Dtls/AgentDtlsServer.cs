using System.Text;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;

namespace Usp.Agent.Dtls;

/// <summary>
/// The agent's side of a DTLS 1.2 server handshake (BouncyCastle <see cref="TlsServer"/>): DTLS 1.2 only, the RFC 7925
/// suites, a CertificateRequest on every certificate handshake (a Controller without a certificate is refused), the
/// Controller's chain checked by <see cref="PeerCertificateValidator"/>, and the optional PSK.
/// </summary>
internal sealed class AgentDtlsServer(DtlsSecurity security, DtlsHandshakeObserver observer, DtlsSessionSettings settings)
    : AbstractTlsServer(security.Crypto)
{
    public DtlsPeerIdentity? Identity { get; private set; }

    private PeerCertificateVerdict? _verdict;

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => TlsUtilities.GetSupportedCipherSuites(Crypto, security.CipherSuites);

    public override int GetHandshakeTimeoutMillis() => (int)settings.HandshakeTimeout.TotalMilliseconds;

    public override bool RequiresExtendedMasterSecret() => false;

    public override TlsCredentials? GetCredentials() =>
        m_context.SecurityParameters.KeyExchangeAlgorithm switch
        {
            KeyExchangeAlgorithm.PSK => null,
            _ => security.Signer(m_context, m_context.SecurityParameters.ClientSigAlgs),
        };

    public override CertificateRequest? GetCertificateRequest()
    {
        if (m_context.SecurityParameters.KeyExchangeAlgorithm == KeyExchangeAlgorithm.PSK)
        {
            return null;
        }

        IList<SignatureAndHashAlgorithm> algorithms = TlsUtilities.GetDefaultSupportedSignatureAlgorithms(m_context);
        return new CertificateRequest([ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign], algorithms, null);
    }

    public override void NotifyClientCertificate(Certificate clientCertificate)
    {
        if (clientCertificate is null || clientCertificate.IsEmpty)
        {
            observer.Rejected("presented no certificate");
            throw new TlsFatalAlert(AlertDescription.handshake_failure, "a client certificate is required");
        }

        PeerCertificateVerdict verdict = security.Validator.Validate(DtlsSecurity.ToX509(clientCertificate));
        if (!verdict.Trusted && !observer.AcceptUntrusted(verdict))
        {
            observer.Rejected($"certificate {verdict.Leaf.Subject} rejected: {verdict.Failure}");
            throw new TlsFatalAlert(DtlsSecurity.AlertFor(verdict), verdict.Failure);
        }

        _verdict = verdict;
    }

    public override TlsPskIdentityManager? GetPskIdentityManager() => security.Psk is { } psk ? new PskIdentities(psk, observer) : null;

    protected override byte[]? GetNewConnectionID() => settings.ConnectionIdLength > 0 ? observer.NewConnectionId() : null;

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        SecurityParameters parameters = m_context.SecurityParameters;
        Identity = new DtlsPeerIdentity
        {
            EndpointId = _verdict?.Names.EndpointId,
            CertificateTrusted = _verdict?.Trusted ?? false,
            Certificate = _verdict?.Leaf.RawData,
            Anchor = _verdict?.Anchor?.RawData,
            AnchorPath = _verdict?.AnchorPath,
            PskIdentity = parameters.KeyExchangeAlgorithm == KeyExchangeAlgorithm.PSK && parameters.PskIdentity is { } id ? Encoding.UTF8.GetString(id) : null,
            CipherSuite = DtlsNames.CipherSuite(parameters.CipherSuite),
        };
    }

    public override void NotifyAlertRaised(short alertLevel, short alertDescription, string message, Exception cause) =>
        observer.AlertRaised(alertLevel, alertDescription, message ?? cause?.Message);

    public override void NotifyAlertReceived(short alertLevel, short alertDescription) => observer.AlertReceived(alertLevel, alertDescription);

    private sealed class PskIdentities(DtlsPsk psk, DtlsHandshakeObserver observer) : TlsPskIdentityManager
    {
        public byte[]? GetHint() => null;

        public byte[]? GetPsk(byte[] identity)
        {
            if (identity.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(psk.Identity)))
            {
                return psk.Key;
            }

            observer.Rejected($"unknown PSK identity '{Encoding.UTF8.GetString(identity)}'");
            return null;
        }
    }
}

/// <summary>Names for logs.</summary>
internal static class DtlsNames
{
    public static string CipherSuite(int suite) => suite switch
    {
        Org.BouncyCastle.Tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 => "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
        Org.BouncyCastle.Tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        Org.BouncyCastle.Tls.CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        Org.BouncyCastle.Tls.CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        Org.BouncyCastle.Tls.CipherSuite.TLS_PSK_WITH_AES_128_CCM_8 => "TLS_PSK_WITH_AES_128_CCM_8",
        _ => $"0x{suite:X4}",
    };

    public static string Alert(short description) => AlertDescription.GetText(description);
}

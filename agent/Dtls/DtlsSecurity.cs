using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace Usp.Agent.Dtls;

/// <summary>A pre-shared key (RFC 7925 §3, TLS_PSK_WITH_AES_128_CCM_8): an identity and its key.</summary>
internal sealed record DtlsPsk(string Identity, byte[] Key);

/// <summary>
/// What both DTLS roles share: the BouncyCastle crypto provider, the agent's certificate and key in BouncyCastle's
/// form, the trust decision, the cipher suites of the RFC 7925 profile, and the optional PSK.
/// </summary>
internal sealed class DtlsSecurity
{
    /// <summary>RFC 7925's mandatory suite first, then AES-GCM with ECDSA, then AES-GCM with RSA certificates.</summary>
    internal static readonly int[] CertificateSuites =
    [
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ];

    internal static readonly int[] PskSuites = [CipherSuite.TLS_PSK_WITH_AES_128_CCM_8];

    public DtlsSecurity(AgentCredentials? credentials, PeerCertificateValidator validator, DtlsPsk? psk = null)
    {
        Crypto = new BcTlsCrypto(new SecureRandom());
        Credentials = credentials;
        Validator = validator;
        Psk = psk;
        if (credentials is not null)
        {
            CertificateChain = new Certificate(credentials.Chain.Select(c => Crypto.CreateCertificate(c.RawData)).ToArray());
            PrivateKey = PrivateKeyFactory.CreateKey(credentials.Pkcs8PrivateKey);
        }
    }

    public BcTlsCrypto Crypto { get; }

    public AgentCredentials? Credentials { get; }

    public PeerCertificateValidator Validator { get; }

    public DtlsPsk? Psk { get; }

    public Certificate? CertificateChain { get; }

    public AsymmetricKeyParameter? PrivateKey { get; }

    /// <summary>The suites offered or accepted: certificate suites when the agent has a certificate, the PSK suite when configured.</summary>
    public int[] CipherSuites =>
        [.. Credentials is null ? [] : CertificateSuites.Where(s => Credentials.IsEcdsa == IsEcdsaSuite(s)), .. Psk is null ? [] : PskSuites];

    private static bool IsEcdsaSuite(int suite) => suite is CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 or CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;

    /// <summary>A signer with the agent's key, using a signature algorithm the peer offered (SHA-256 when it said nothing).</summary>
    public TlsCredentialedSigner Signer(TlsContext context, IList<SignatureAndHashAlgorithm>? peerAlgorithms)
    {
        if (Credentials is null || CertificateChain is null || PrivateKey is null)
        {
            throw new TlsFatalAlert(AlertDescription.internal_error, "the agent has no certificate");
        }

        short signature = Credentials.IsEcdsa ? SignatureAlgorithm.ecdsa : SignatureAlgorithm.rsa;
        SignatureAndHashAlgorithm chosen = peerAlgorithms?.FirstOrDefault(a => a.Signature == signature && a.Hash == HashAlgorithm.sha256)
            ?? peerAlgorithms?.FirstOrDefault(a => a.Signature == signature)
            ?? new SignatureAndHashAlgorithm(HashAlgorithm.sha256, signature);
        return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), Crypto, PrivateKey, CertificateChain, chosen);
    }

    /// <summary>The peer's certificates as .NET certificates, leaf first.</summary>
    public static List<X509Certificate2> ToX509(Certificate certificate)
    {
        var list = new List<X509Certificate2>(certificate.Length);
        for (int i = 0; i < certificate.Length; i++)
        {
            list.Add(X509CertificateLoader.LoadCertificate(certificate.GetCertificateAt(i).GetEncoded()));
        }

        return list;
    }

    /// <summary>The TLS alert that fits a rejected certificate.</summary>
    public static short AlertFor(PeerCertificateVerdict verdict) =>
        verdict.Failure switch
        {
            { } f when f.Contains("expired", StringComparison.Ordinal) || f.Contains("validity", StringComparison.Ordinal) || f.Contains("not valid before", StringComparison.Ordinal) => AlertDescription.certificate_expired,
            { } f when f.StartsWith("unknown CA", StringComparison.Ordinal) || f.Contains("self-signed", StringComparison.Ordinal) => AlertDescription.unknown_ca,
            _ => AlertDescription.bad_certificate,
        };
}

using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Usp.Agent.Dtls;

/// <summary>
/// Issues development certificates with System.Security.Cryptography: a CA, and end-entity certificates
/// (ECDSA P-256, SHA-256) whose subjectAltName carries <c>urn:bbf:usp:id:&lt;EndpointID&gt;</c>, usable for
/// both DTLS roles (serverAuth and clientAuth).
/// </summary>
internal static class DevelopmentCertificates
{
    public static X509Certificate2 CreateAuthority(string commonName, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(commonName);
        var request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(notBefore, notAfter);
    }

    /// <summary>An end-entity certificate for <paramref name="endpointId"/> signed by <paramref name="authority"/> (which holds its private key).</summary>
    public static X509Certificate2 IssueEndpoint(
        X509Certificate2 authority,
        string endpointId,
        IEnumerable<string> dnsNames,
        IEnumerable<IPAddress> addresses,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(endpointId);
        var request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(CertificateNames.EndpointIdUrnPrefix + endpointId));
        foreach (string dns in dnsNames)
        {
            san.AddDnsName(dns);
        }

        foreach (IPAddress address in addresses)
        {
            san.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(san.Build());
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive INTEGER
        serial[0] |= 0x01;
        using X509Certificate2 certificate = request.Create(authority, notBefore, notAfter, serial);
        return certificate.CopyWithPrivateKey(key);
    }

    /// <summary>Writes the certificate and (when it has one) its PKCS#8 private key as PEM; key files are mode 0600.</summary>
    public static void WritePem(X509Certificate2 certificate, string certificateFile, string? keyFile)
    {
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem() + "\n");
        if (keyFile is null)
        {
            return;
        }

        using ECDsa key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the certificate has no ECDSA private key");
        WritePrivate(keyFile, key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    private static void WritePrivate(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }
}

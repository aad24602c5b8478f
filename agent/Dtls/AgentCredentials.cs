using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Usp.Agent.Hosting;

namespace Usp.Agent.Dtls;

/// <summary>
/// The certificate the agent presents over DTLS (leaf first, then any intermediates) and its private key
/// (PKCS#8 DER, ECDSA or RSA), read from PEM files.
/// </summary>
internal sealed class AgentCredentials
{
    private AgentCredentials(IReadOnlyList<X509Certificate2> chain, byte[] pkcs8PrivateKey, bool isEcdsa, string certificateFile)
    {
        Chain = chain;
        Pkcs8PrivateKey = pkcs8PrivateKey;
        IsEcdsa = isEcdsa;
        CertificateFile = certificateFile;
    }

    public IReadOnlyList<X509Certificate2> Chain { get; }

    public X509Certificate2 Leaf => Chain[0];

    public byte[] Pkcs8PrivateKey { get; }

    /// <summary>ECDSA key (the ECDHE_ECDSA suites); otherwise RSA (ECDHE_RSA).</summary>
    public bool IsEcdsa { get; }

    public string CertificateFile { get; }

    /// <summary>The EndpointID in the certificate's subjectAltName, or null.</summary>
    public string? EndpointId => CertificateNames.Of(Leaf).EndpointId;

    /// <summary>Loads the certificate chain and the key; every problem names the setting and the file.</summary>
    /// <exception cref="AgentConfigurationException">a file is missing, unreadable, not PEM, or the key does not match the certificate.</exception>
    public static AgentCredentials Load(string certificateFile, string keyFile, string certificateSetting = "Agent:Certificate", string keySetting = "Agent:PrivateKey")
    {
        IReadOnlyList<X509Certificate2> chain = PemCertificates.Load(certificateFile, certificateSetting);
        string keyText = ReadText(keyFile, keySetting);
        X509Certificate2 leaf = chain[0];
        try
        {
            if (leaf.GetECDsaPublicKey() is { } ecPublic)
            {
                ecPublic.Dispose();
                using var key = ECDsa.Create();
                key.ImportFromPem(keyText);
                using X509Certificate2 paired = leaf.CopyWithPrivateKey(key);
                return new AgentCredentials(chain, key.ExportPkcs8PrivateKey(), true, certificateFile);
            }

            if (leaf.GetRSAPublicKey() is { } rsaPublic)
            {
                rsaPublic.Dispose();
                using var key = RSA.Create();
                key.ImportFromPem(keyText);
                using X509Certificate2 paired = leaf.CopyWithPrivateKey(key);
                return new AgentCredentials(chain, key.ExportPkcs8PrivateKey(), false, certificateFile);
            }
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new AgentConfigurationException(
                $"configuration {keySetting} is '{keyFile}': not the PEM private key of the certificate in {certificateFile} ({e.Message}).");
        }

        throw new AgentConfigurationException(
            $"configuration {certificateSetting} is '{certificateFile}': the certificate's key is neither ECDSA nor RSA.");
    }

    internal static string ReadText(string file, string setting)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentConfigurationException($"configuration {setting} is '{file}': cannot read it ({e.Message}).");
        }
    }
}

/// <summary>PEM certificate files: every CERTIFICATE block, in file order.</summary>
internal static class PemCertificates
{
    public static IReadOnlyList<X509Certificate2> Load(string file, string setting)
    {
        string text = AgentCredentials.ReadText(file, setting);
        var certificates = Parse(text, out string? error);
        if (error is not null)
        {
            throw new AgentConfigurationException($"configuration {setting} is '{file}': {error}");
        }

        return certificates;
    }

    /// <summary>Every CERTIFICATE block of <paramref name="text"/>; <paramref name="error"/> says why when there is none or one is bad.</summary>
    public static List<X509Certificate2> Parse(string text, out string? error)
    {
        error = null;
        var certificates = new List<X509Certificate2>();
        ReadOnlySpan<char> rest = text;
        while (PemEncoding.TryFind(rest, out PemFields fields))
        {
            if (rest[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                try
                {
                    certificates.Add(X509CertificateLoader.LoadCertificate(Convert.FromBase64String(rest[fields.Base64Data].ToString())));
                }
                catch (CryptographicException e)
                {
                    error = $"a CERTIFICATE block is not a valid X.509 certificate ({e.Message}).";
                    return [];
                }
            }

            rest = rest[fields.Location.End..];
        }

        if (certificates.Count == 0)
        {
            error = "no PEM CERTIFICATE block in it.";
        }

        return certificates;
    }
}

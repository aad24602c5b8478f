using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Usp.Agent.Dtls;

/// <summary>What the agent concluded about a peer's certificate chain.</summary>
internal sealed record PeerCertificateVerdict
{
    public required bool Trusted { get; init; }

    /// <summary>Why the chain is not trusted (unknown CA, expired, not yet valid, bad signature…); null when trusted.</summary>
    public string? Failure { get; init; }

    /// <summary>The peer's end-entity certificate.</summary>
    public required X509Certificate2 Leaf { get; init; }

    public required CertificateNames Names { get; init; }

    /// <summary>The trust anchor the chain ends at (a CA, or the pinned peer certificate itself); null when untrusted.</summary>
    public X509Certificate2? Anchor { get; init; }

    /// <summary>The data-model path of <see cref="Anchor"/> (Device.LocalAgent.Certificate.{i}), or null when it came from the trust store file.</summary>
    public string? AnchorPath { get; init; }

    /// <summary>The chain was self-signed by the peer (a TOFU candidate).</summary>
    public bool SelfSigned { get; init; }
}

/// <summary>
/// Validates a peer's certificate chain against the trust anchors: the signature chain up to an anchor (or the
/// peer certificate itself pinned as an anchor), the validity dates only when the agent knows absolute time
/// (R-SEC.19/20), no revocation look-ups (a gateway may have no route to a CRL or OCSP responder).
/// </summary>
internal sealed class PeerCertificateValidator(TrustAnchors anchors, AbsoluteTime time)
{
    public PeerCertificateVerdict Validate(IReadOnlyList<X509Certificate2> chain)
    {
        ArgumentOutOfRangeException.ThrowIfZero(chain.Count);
        X509Certificate2 leaf = chain[0];
        var names = CertificateNames.Of(leaf);
        bool selfSigned = leaf.SubjectName.RawData.AsSpan().SequenceEqual(leaf.IssuerName.RawData);
        bool absolute = time.IsKnown;
        DateTimeOffset now = time.Now;
        TrustAnchors.Snapshot snapshot = anchors.Current;

        // A peer certificate installed as such (AddCertificate of the Controller's own certificate) is trusted as itself.
        foreach (X509Certificate2 anchor in snapshot.All)
        {
            if (anchor.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
            {
                string? dates = absolute ? DateProblem(leaf, now) : null;
                return dates is null
                    ? new PeerCertificateVerdict { Trusted = true, Leaf = leaf, Names = names, Anchor = anchor, AnchorPath = snapshot.PathOf(anchor), SelfSigned = selfSigned }
                    : Untrusted(leaf, names, selfSigned, dates);
            }
        }

        using var x509Chain = new X509Chain();
        X509ChainPolicy policy = x509Chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(snapshot.All);
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        for (int i = 1; i < chain.Count; i++)
        {
            policy.ExtraStore.Add(chain[i]);
        }

        // Intermediates among the anchors help build the chain too (CustomTrustStore only holds roots for OpenSSL).
        policy.ExtraStore.AddRange(snapshot.All);
        if (absolute)
        {
            policy.VerificationTime = now.UtcDateTime;
        }
        else
        {
            policy.VerificationFlags |= X509VerificationFlags.IgnoreNotTimeValid | X509VerificationFlags.IgnoreCtlNotTimeValid;
        }

        bool built = x509Chain.Build(leaf);
        try
        {
            if (built && x509Chain.ChainElements.Count > 0)
            {
                X509Certificate2 root = x509Chain.ChainElements[^1].Certificate;
                X509Certificate2? anchor = FindAnchor(snapshot, x509Chain);
                if (anchor is not null)
                {
                    return new PeerCertificateVerdict { Trusted = true, Leaf = leaf, Names = names, Anchor = anchor, AnchorPath = snapshot.PathOf(anchor), SelfSigned = selfSigned };
                }

                return Untrusted(leaf, names, selfSigned, $"the chain ends at {root.Subject}, which is not a trust anchor");
            }

            return Untrusted(leaf, names, selfSigned, Describe(x509Chain, leaf, selfSigned));
        }
        finally
        {
            foreach (X509ChainElement element in x509Chain.ChainElements)
            {
                if (!ReferenceEquals(element.Certificate, leaf))
                {
                    element.Certificate.Dispose();
                }
            }
        }
    }

    private static X509Certificate2? FindAnchor(TrustAnchors.Snapshot snapshot, X509Chain chain)
    {
        // The anchor nearest the leaf: the most specific credential the Controller is validated by.
        for (int i = 1; i < chain.ChainElements.Count; i++)
        {
            ReadOnlySpan<byte> der = chain.ChainElements[i].Certificate.RawDataMemory.Span;
            foreach (X509Certificate2 anchor in snapshot.All)
            {
                if (anchor.RawDataMemory.Span.SequenceEqual(der))
                {
                    return anchor;
                }
            }
        }

        return null;
    }

    private static string? DateProblem(X509Certificate2 certificate, DateTimeOffset now)
    {
        if (now < certificate.NotBefore.ToUniversalTime())
        {
            return $"the certificate is not valid before {certificate.NotBefore.ToUniversalTime():u}";
        }

        return now > certificate.NotAfter.ToUniversalTime() ? $"the certificate expired at {certificate.NotAfter.ToUniversalTime():u}" : null;
    }

    private static string Describe(X509Chain chain, X509Certificate2 leaf, bool selfSigned)
    {
        var flags = X509ChainStatusFlags.NoError;
        foreach (X509ChainStatus status in chain.ChainStatus)
        {
            flags |= status.Status;
        }

        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
        {
            return $"the certificate (or its issuer) is outside its validity period ({leaf.NotBefore.ToUniversalTime():u} to {leaf.NotAfter.ToUniversalTime():u})";
        }

        if ((flags & (X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.UntrustedRoot)) != 0)
        {
            return selfSigned ? "the certificate is self-signed and not trusted" : $"unknown CA: no trust anchor issued {leaf.Issuer}";
        }

        if ((flags & X509ChainStatusFlags.NotSignatureValid) != 0)
        {
            return "a signature in the chain is not valid";
        }

        return "the chain does not validate: " + string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
    }

    private static PeerCertificateVerdict Untrusted(X509Certificate2 leaf, CertificateNames names, bool selfSigned, string reason) =>
        new() { Trusted = false, Failure = reason, Leaf = leaf, Names = names, SelfSigned = selfSigned };
}

/// <summary>
/// Whether a server certificate names the host the agent connected to (RFC 6125: DNS names with a wildcard only as
/// the whole left-most label, R-COAP.15; IP addresses exactly), or carries the expected EndpointID.
/// </summary>
internal static class PeerNameMatcher
{
    public static bool Matches(CertificateNames names, string? expectedEndpointId, string host)
    {
        if (expectedEndpointId is not null && names.EndpointId is { } id && string.Equals(id, expectedEndpointId, StringComparison.Ordinal))
        {
            return true;
        }

        if (IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? address))
        {
            return names.IpAddresses.Any(a => a.Equals(address) || (a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).Equals(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address));
        }

        return names.DnsNames.Any(pattern => DnsMatches(pattern, host));
    }

    public static bool DnsMatches(string pattern, string host)
    {
        pattern = pattern.TrimEnd('.');
        host = host.TrimEnd('.');
        if (!pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            return string.Equals(pattern, host, StringComparison.OrdinalIgnoreCase);
        }

        // "*.example.com" matches exactly one label: "a.example.com", not "example.com" nor "a.b.example.com".
        string suffix = pattern[1..];
        if (suffix.Count(c => c == '.') < 2 || !host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string label = host[..^suffix.Length];
        return label.Length > 0 && !label.Contains('.', StringComparison.Ordinal);
    }
}

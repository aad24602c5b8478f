namespace Usp.Agent.Dtls;

/// <summary>Who is at the other end of an established DTLS session, as the handshake proved it.</summary>
internal sealed record DtlsPeerIdentity
{
    /// <summary>The EndpointID from the peer certificate's subjectAltName (urn:bbf:usp:id:…), or null (none, or PSK).</summary>
    public string? EndpointId { get; init; }

    /// <summary>The peer's certificate chain validated against a trust anchor (false: accepted only for TOFU).</summary>
    public bool CertificateTrusted { get; init; }

    /// <summary>The peer's end-entity certificate (DER), or null for PSK.</summary>
    public byte[]? Certificate { get; init; }

    /// <summary>The trust anchor that validated the chain (DER), or null.</summary>
    public byte[]? Anchor { get; init; }

    /// <summary>The Device.LocalAgent.Certificate.{i} path of the trust anchor, when it is one (for ControllerTrust.Credential).</summary>
    public string? AnchorPath { get; init; }

    /// <summary>The PSK identity, when the session was keyed by a pre-shared key.</summary>
    public string? PskIdentity { get; init; }

    /// <summary>The session was resumed (an abbreviated handshake; the identity is the one the original handshake proved).</summary>
    public bool Resumed { get; init; }

    /// <summary>The negotiated cipher suite's name, for logs.</summary>
    public required string CipherSuite { get; init; }
}

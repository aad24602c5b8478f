namespace Usp.Agent.Dtls;

/// <summary>
/// What a handshake reports to its transport: rejections and alerts (logged with the peer's address), the TOFU
/// decision for a certificate that does not validate, and fresh Connection IDs.
/// </summary>
internal abstract class DtlsHandshakeObserver
{
    /// <summary>Whether to accept a certificate that did not validate (TOFU: a self-signed or unknown-CA certificate carrying an EndpointID).</summary>
    public abstract bool AcceptUntrusted(PeerCertificateVerdict verdict);

    public abstract void Rejected(string reason);

    public abstract void AlertRaised(short level, short description, string? message);

    public abstract void AlertReceived(short level, short description);

    public abstract byte[] NewConnectionId();
}

/// <summary>Timeouts and sizes of DTLS sessions.</summary>
internal sealed record DtlsSessionSettings
{
    /// <summary>A handshake that has not completed by then is abandoned (BouncyCastle retransmits within it).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>An established session with no traffic for this long is closed (close_notify) and forgotten.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Established sessions kept at most (both roles together); a new peer beyond it is refused.</summary>
    public int MaxSessions { get; init; } = 64;

    /// <summary>Handshakes in progress at most (each holds a thread while it waits for the peer).</summary>
    public int MaxHandshakes { get; init; } = 16;

    /// <summary>Handshakes in progress at most from one IP address.</summary>
    public int MaxHandshakesPerAddress { get; init; } = 4;

    /// <summary>The path MTU the records must fit in (IP and UDP headers are subtracted).</summary>
    public int PathMtu { get; init; } = 1280;

    /// <summary>How often the cookie secret rotates (a cookie of the previous secret is still accepted).</summary>
    public TimeSpan CookieSecretLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>RFC 9146 Connection ID length offered to peers (0: none).</summary>
    public int ConnectionIdLength { get; init; } = 8;
}

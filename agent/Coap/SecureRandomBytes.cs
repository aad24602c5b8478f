namespace Usp.Agent.Coap;

/// <summary>
/// Cryptographically secure random bytes that do not load OpenSSL: on Linux the runtime draws Guid.NewGuid from the
/// system's secure generator, whereas RandomNumberGenerator maps libcrypto and libssl into the process (about 4 MB
/// resident for the agent's idle life, measured), which only DTLS needs. CoAP tokens draw on it, and so does the agent.
/// </summary>
public static class SecureRandomBytes
{
    /// <summary>Fills <paramref name="destination"/> with random bytes.</summary>
    public static void Fill(Span<byte> destination)
    {
        Span<byte> guid = stackalloc byte[16];
        while (!destination.IsEmpty)
        {
            Guid.NewGuid().TryWriteBytes(guid);
            // Bytes 7 and 8 carry the version and variant bits; the other fourteen are random.
            destination = Take(guid[..7], destination);
            destination = Take(guid[9..], destination);
        }
    }

    private static Span<byte> Take(scoped ReadOnlySpan<byte> random, Span<byte> destination)
    {
        int count = Math.Min(random.Length, destination.Length);
        random[..count].CopyTo(destination);
        return destination[count..];
    }
}

namespace Usp.Agent.Coap;

/// <summary>A token (0–8 bytes) as a dictionary key.</summary>
internal readonly record struct TokenKey(ulong Value, int Length)
{
    public static TokenKey From(ReadOnlySpan<byte> token)
    {
        ulong value = 0;
        foreach (byte b in token)
        {
            value = (value << 8) | b;
        }
        return new TokenKey(value, token.Length);
    }
}

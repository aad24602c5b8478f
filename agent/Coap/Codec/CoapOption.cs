using System.Buffers.Binary;
using System.Text;

namespace Usp.Agent.Coap;

/// <summary>One option instance; <see cref="Value"/> usually slices the datagram it was decoded from.</summary>
public readonly record struct CoapOption(ushort Number, ReadOnlyMemory<byte> Value)
{
    public static CoapOption FromUInt(ushort number, uint value)
    {
        // Minimal-length big-endian encoding; zero is the empty value (RFC 7252 §3.2).
        int length = CoapUInt.EncodedLength(value);
        var bytes = new byte[length];
        CoapUInt.Write(value, bytes);
        return new CoapOption(number, bytes);
    }

    public static CoapOption FromString(ushort number, string value) => new(number, Encoding.UTF8.GetBytes(value));

    public uint GetUInt() => CoapUInt.Read(Value.Span);

    public string GetString() => Encoding.UTF8.GetString(Value.Span);
}

/// <summary>The "uint" option format of RFC 7252 §3.2.</summary>
public static class CoapUInt
{
    public static int EncodedLength(uint value) => value switch
    {
        0 => 0,
        <= 0xFF => 1,
        <= 0xFFFF => 2,
        <= 0xFFFFFF => 3,
        _ => 4,
    };

    public static void Write(uint value, Span<byte> destination)
    {
        int length = EncodedLength(value);
        Span<byte> all = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(all, value);
        all[(4 - length)..].CopyTo(destination);
    }

    /// <summary>Reads up to four bytes big-endian; longer values are rejected by the option rules before this is reached.</summary>
    public static uint Read(ReadOnlySpan<byte> value)
    {
        uint result = 0;
        int start = value.Length > 4 ? value.Length - 4 : 0;
        for (int i = start; i < value.Length; i++)
        {
            result = (result << 8) | value[i];
        }
        return result;
    }
}

public enum CoapOptionFormat : byte
{
    Empty,
    Opaque,
    UInt,
    String,
}

/// <summary>What RFC 7252 §5.10 (and RFC 7959 / 7641) say about one option number.</summary>
public readonly record struct CoapOptionDefinition(ushort Number, string Name, CoapOptionFormat Format, int MinLength, int MaxLength, bool Repeatable);

public static class CoapOptionRegistry
{
    private static readonly CoapOptionDefinition[] Definitions =
    [
        new(CoapOptionNumber.IfMatch, "If-Match", CoapOptionFormat.Opaque, 0, 8, true),
        new(CoapOptionNumber.UriHost, "Uri-Host", CoapOptionFormat.String, 1, 255, false),
        new(CoapOptionNumber.ETag, "ETag", CoapOptionFormat.Opaque, 1, 8, true),
        new(CoapOptionNumber.IfNoneMatch, "If-None-Match", CoapOptionFormat.Empty, 0, 0, false),
        new(CoapOptionNumber.Observe, "Observe", CoapOptionFormat.UInt, 0, 3, false),
        new(CoapOptionNumber.UriPort, "Uri-Port", CoapOptionFormat.UInt, 0, 2, false),
        new(CoapOptionNumber.LocationPath, "Location-Path", CoapOptionFormat.String, 0, 255, true),
        new(CoapOptionNumber.UriPath, "Uri-Path", CoapOptionFormat.String, 0, 255, true),
        new(CoapOptionNumber.ContentFormat, "Content-Format", CoapOptionFormat.UInt, 0, 2, false),
        new(CoapOptionNumber.MaxAge, "Max-Age", CoapOptionFormat.UInt, 0, 4, false),
        new(CoapOptionNumber.UriQuery, "Uri-Query", CoapOptionFormat.String, 0, 255, true),
        new(CoapOptionNumber.Accept, "Accept", CoapOptionFormat.UInt, 0, 2, false),
        new(CoapOptionNumber.LocationQuery, "Location-Query", CoapOptionFormat.String, 0, 255, true),
        new(CoapOptionNumber.Block2, "Block2", CoapOptionFormat.UInt, 0, 3, false),
        new(CoapOptionNumber.Block1, "Block1", CoapOptionFormat.UInt, 0, 3, false),
        new(CoapOptionNumber.Size2, "Size2", CoapOptionFormat.UInt, 0, 4, false),
        new(CoapOptionNumber.ProxyUri, "Proxy-Uri", CoapOptionFormat.String, 1, 1034, false),
        new(CoapOptionNumber.ProxyScheme, "Proxy-Scheme", CoapOptionFormat.String, 1, 255, false),
        new(CoapOptionNumber.Size1, "Size1", CoapOptionFormat.UInt, 0, 4, false),
    ];

    public static IReadOnlyList<CoapOptionDefinition> All => Definitions;

    public static bool TryGet(int number, out CoapOptionDefinition definition)
    {
        foreach (var d in Definitions)
        {
            if (d.Number == number)
            {
                definition = d;
                return true;
            }
        }
        definition = default;
        return false;
    }

    /// <summary>
    /// True when this occurrence must be processed; false when RFC 7252 §5.4.1/§5.4.3/§5.4.5 say to treat it
    /// as unrecognized: unknown number, length out of bounds, or a repeat of a non-repeatable option.
    /// </summary>
    public static bool IsRecognized(int number, int length, bool isRepeat)
    {
        if (!TryGet(number, out var d))
        {
            return false;
        }
        if (length < d.MinLength || length > d.MaxLength)
        {
            return false;
        }
        return !isRepeat || d.Repeatable;
    }
}

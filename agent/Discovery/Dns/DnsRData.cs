using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Usp.Agent.Discovery.Dns;

/// <summary>
/// The data of one resource record. <see cref="Canonical"/> is the uncompressed form that equality, known-answer
/// matching and the lexicographic conflict comparison of RFC 6762 §8.2 use.
/// </summary>
public abstract class DnsRData : IEquatable<DnsRData>
{
    private byte[]? _canonical;

    /// <summary>The record data uncompressed, names in ASCII lower case.</summary>
    public ReadOnlySpan<byte> Canonical => _canonical ??= BuildCanonical();

    /// <summary>Writes the record data; names may be compressed against the message written so far.</summary>
    internal abstract void WriteTo(DnsMessageWriter writer);

    protected abstract byte[] BuildCanonical();

    public bool Equals(DnsRData? other) => other is not null && other.GetType() == GetType() && Canonical.SequenceEqual(other.Canonical);

    public override bool Equals(object? obj) => Equals(obj as DnsRData);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Canonical);
        return hash.ToHashCode();
    }
}

/// <summary>A (IPv4) or AAAA (IPv6) data.</summary>
public sealed class AddressData(IPAddress address) : DnsRData
{
    public IPAddress Address { get; } = address;

    public DnsRecordType Type => Address.AddressFamily == AddressFamily.InterNetworkV6 ? DnsRecordType.Aaaa : DnsRecordType.A;

    internal override void WriteTo(DnsMessageWriter writer) => writer.WriteBytes(Address.GetAddressBytes());

    protected override byte[] BuildCanonical() => Address.GetAddressBytes();

    public override string ToString() => Address.ToString();
}

/// <summary>PTR data: the name pointed to.</summary>
public sealed class PtrData(DnsName target) : DnsRData
{
    public DnsName Target { get; } = target;

    internal override void WriteTo(DnsMessageWriter writer) => writer.WriteName(Target);

    protected override byte[] BuildCanonical()
    {
        var bytes = new List<byte>(Target.WireLength);
        Target.WriteUncompressed(bytes, lowerCase: true);
        return [.. bytes];
    }

    public override string ToString() => Target.ToString();
}

/// <summary>SRV data (RFC 2782).</summary>
public sealed class SrvData(ushort priority, ushort weight, ushort port, DnsName target) : DnsRData
{
    public ushort Priority { get; } = priority;
    public ushort Weight { get; } = weight;
    public ushort Port { get; } = port;
    public DnsName Target { get; } = target;

    internal override void WriteTo(DnsMessageWriter writer)
    {
        writer.WriteUInt16(Priority);
        writer.WriteUInt16(Weight);
        writer.WriteUInt16(Port);
        writer.WriteName(Target);
    }

    protected override byte[] BuildCanonical()
    {
        var bytes = new List<byte>(6 + Target.WireLength)
        {
            (byte)(Priority >> 8), (byte)Priority, (byte)(Weight >> 8), (byte)Weight, (byte)(Port >> 8), (byte)Port,
        };
        Target.WriteUncompressed(bytes, lowerCase: true);
        return [.. bytes];
    }

    public override string ToString() => $"{Priority} {Weight} {Port} {Target}";
}

/// <summary>TXT data: character strings of up to 255 bytes each (RFC 6763 §6: key=value pairs).</summary>
public sealed class TxtData : DnsRData
{
    public TxtData(IReadOnlyList<byte[]> strings)
    {
        if (strings.Any(s => s.Length > 255))
        {
            throw new ArgumentException("a TXT string is longer than 255 bytes", nameof(strings));
        }

        // RFC 6763 §6.1: an empty TXT record is one empty string.
        Strings = strings.Count == 0 ? [[]] : strings;
    }

    public IReadOnlyList<byte[]> Strings { get; }

    /// <summary>TXT data from "key=value" (or bare "key") texts.</summary>
    public static TxtData FromTexts(IEnumerable<string> texts) => new([.. texts.Select(Encoding.UTF8.GetBytes)]);

    /// <summary>The value of <paramref name="key"/> (case-insensitive, RFC 6763 §6.4); "" for a bare key; null when absent.</summary>
    public string? Get(string key)
    {
        foreach (byte[] entry in Strings)
        {
            string text = Encoding.UTF8.GetString(entry);
            int equals = text.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? text : text[..equals];
            if (name.Length > 0 && string.Equals(name, key, StringComparison.OrdinalIgnoreCase))
            {
                return equals < 0 ? "" : text[(equals + 1)..];
            }
        }

        return null;
    }

    internal override void WriteTo(DnsMessageWriter writer)
    {
        foreach (byte[] entry in Strings)
        {
            writer.WriteByte((byte)entry.Length);
            writer.WriteBytes(entry);
        }
    }

    protected override byte[] BuildCanonical()
    {
        var bytes = new List<byte>();
        foreach (byte[] entry in Strings)
        {
            bytes.Add((byte)entry.Length);
            bytes.AddRange(entry);
        }

        return [.. bytes];
    }

    public override string ToString() => string.Join(' ', Strings.Select(s => '"' + Encoding.UTF8.GetString(s) + '"'));
}

/// <summary>Data of any other type (NSEC included), kept as it arrived.</summary>
public sealed class RawData(byte[] data) : DnsRData
{
    public ReadOnlyMemory<byte> Data { get; } = data;

    internal override void WriteTo(DnsMessageWriter writer) => writer.WriteBytes(Data.Span);

    protected override byte[] BuildCanonical() => Data.ToArray();
}

using System.Text;

namespace Usp.Agent.Discovery.Dns;

/// <summary>
/// A domain name as its labels (RFC 1035 §3.1), compared without regard to ASCII case (RFC 6762 §16). Every instance
/// is valid on the wire: each label 1–63 bytes of UTF-8, the whole name at most 255 bytes.
/// </summary>
public sealed class DnsName : IEquatable<DnsName>
{
    public const int MaxLength = 255;
    public const int MaxLabelLength = 63;

    private readonly string[] _labels;

    private DnsName(string[] labels, int wireLength)
    {
        _labels = labels;
        WireLength = wireLength;
    }

    public static DnsName Root { get; } = new([], 1);

    public IReadOnlyList<string> Labels => _labels;

    /// <summary>Bytes on the wire without compression: each label with its length byte, and the root byte.</summary>
    public int WireLength { get; }

    /// <summary>The name of these labels; false when a label is empty or longer than 63 bytes, or the name longer than 255.</summary>
    public static bool TryCreate(IEnumerable<string> labels, out DnsName name)
    {
        string[] all = [.. labels];
        int length = 1;
        foreach (string label in all)
        {
            int bytes = Encoding.UTF8.GetByteCount(label);
            if (bytes is 0 or > MaxLabelLength)
            {
                name = Root;
                return false;
            }

            length += bytes + 1;
        }

        name = new DnsName(all, length);
        return length <= MaxLength;
    }

    /// <summary>A dotted name whose labels contain no dot ("_usp-agt-coap._udp.local"); throws on an invalid one.</summary>
    public static DnsName Parse(string dotted) =>
        TryCreate(dotted.TrimEnd('.').Split('.'), out DnsName name) ? name : throw new ArgumentException($"'{dotted}' is not a valid DNS name", nameof(dotted));

    /// <summary>This name with <paramref name="label"/> in front; throws when the result would be invalid.</summary>
    public DnsName Prepend(string label) =>
        TryCreate([label, .. _labels], out DnsName name) ? name : throw new ArgumentException($"label '{label}' does not fit in front of {this}", nameof(label));

    /// <summary>The name without its first <paramref name="count"/> labels.</summary>
    public DnsName Skip(int count) => TryCreate(_labels.Skip(count), out DnsName name) ? name : Root;

    public bool EndsWith(DnsName suffix)
    {
        int offset = _labels.Length - suffix._labels.Length;
        if (offset < 0)
        {
            return false;
        }

        for (int i = 0; i < suffix._labels.Length; i++)
        {
            if (!LabelEquals(_labels[offset + i], suffix._labels[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>DNS compares names case-insensitively for ASCII letters only (RFC 4343).</summary>
    public static bool LabelEquals(string a, string b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (int i = 0; i < a.Length; i++)
        {
            if (AsciiLower(a[i]) != AsciiLower(b[i]))
            {
                return false;
            }
        }

        return true;
    }

    public bool Equals(DnsName? other)
    {
        if (other is null || other._labels.Length != _labels.Length)
        {
            return false;
        }

        for (int i = 0; i < _labels.Length; i++)
        {
            if (!LabelEquals(_labels[i], other._labels[i]))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as DnsName);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (string label in _labels)
        {
            foreach (char c in label)
            {
                hash.Add(AsciiLower(c));
            }

            hash.Add('.');
        }

        return hash.ToHashCode();
    }

    /// <summary>Writes the name uncompressed, labels in ASCII lower case when <paramref name="lowerCase"/> (for the RFC 6762 §8.2 comparison).</summary>
    public void WriteUncompressed(List<byte> output, bool lowerCase = false)
    {
        foreach (string label in _labels)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(lowerCase ? LowerAscii(label) : label);
            output.Add((byte)bytes.Length);
            output.AddRange(bytes);
        }

        output.Add(0);
    }

    /// <summary>The presentation form of RFC 6763 §4.3: dots and backslashes inside a label escaped with a backslash.</summary>
    public override string ToString()
    {
        if (_labels.Length == 0)
        {
            return ".";
        }

        var text = new StringBuilder();
        foreach (string label in _labels)
        {
            if (text.Length > 0)
            {
                text.Append('.');
            }

            foreach (char c in label)
            {
                if (c is '.' or '\\')
                {
                    text.Append('\\');
                }

                text.Append(c);
            }
        }

        return text.ToString();
    }

    private static char AsciiLower(char c) => c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;

    private static string LowerAscii(string label) => string.Create(label.Length, label, static (span, source) =>
    {
        for (int i = 0; i < source.Length; i++)
        {
            span[i] = AsciiLower(source[i]);
        }
    });
}

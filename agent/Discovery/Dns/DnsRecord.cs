namespace Usp.Agent.Discovery.Dns;

/// <summary>A question (RFC 1035 §4.1.2); <see cref="UnicastResponse"/> is the mDNS QU bit (RFC 6762 §5.4).</summary>
public sealed record DnsQuestion(DnsName Name, DnsRecordType Type, ushort Class = DnsClass.Internet, bool UnicastResponse = false)
{
    /// <summary>Whether <paramref name="record"/> answers this question (same name; same type, or ANY; same class, or ANY).</summary>
    public bool IsAnsweredBy(DnsRecord record) =>
        (Type == DnsRecordType.Any || Type == record.Type) &&
        (Class == DnsClass.Any || Class == record.Class) &&
        Name.Equals(record.Name);

    public override string ToString() => $"{Name} {Type}{(UnicastResponse ? " QU" : "")}";
}

/// <summary>
/// A resource record (RFC 1035 §4.1.3). <see cref="CacheFlush"/> is the mDNS top bit of the class (RFC 6762 §10.2),
/// set on the records of a unique RRset.
/// </summary>
public sealed record DnsRecord(DnsName Name, DnsRecordType Type, ushort Class, bool CacheFlush, uint Ttl, DnsRData Data)
{
    /// <summary>Same name, type, class and data: the same record whatever its TTL and cache-flush bit.</summary>
    public bool SameRecordAs(DnsRecord other) =>
        Type == other.Type && Class == other.Class && Name.Equals(other.Name) && Data.Equals(other.Data);

    public DnsRecord WithTtl(uint ttl) => this with { Ttl = ttl };

    public override string ToString() => $"{Name} {Type} ttl={Ttl}{(CacheFlush ? " flush" : "")} {Data}";
}

/// <summary>A whole DNS message. mDNS queries have QR clear; responses have QR and AA set (RFC 6762 §18).</summary>
public sealed record DnsMessage
{
    public const ushort ResponseFlag = 0x8000;
    public const ushort AuthoritativeFlag = 0x0400;
    public const ushort TruncatedFlag = 0x0200;
    public const ushort OpcodeMask = 0x7800;
    public const ushort ResponseCodeMask = 0x000F;

    public ushort Id { get; init; }
    public ushort Flags { get; init; }
    public IReadOnlyList<DnsQuestion> Questions { get; init; } = [];
    public IReadOnlyList<DnsRecord> Answers { get; init; } = [];
    public IReadOnlyList<DnsRecord> Authorities { get; init; } = [];
    public IReadOnlyList<DnsRecord> Additionals { get; init; } = [];

    public bool IsResponse => (Flags & ResponseFlag) != 0;

    public bool IsTruncated => (Flags & TruncatedFlag) != 0;

    /// <summary>Opcode 0 (standard query) and response code 0: RFC 6762 §18.3/§18.11 say to ignore any other.</summary>
    public bool IsStandard => (Flags & (OpcodeMask | ResponseCodeMask)) == 0;
}

namespace Usp.Agent.Discovery.Dns;

/// <summary>The resource record types the responder speaks (RFC 1035, 2782, 3596, 4034); others are carried as raw data.</summary>
public enum DnsRecordType : ushort
{
    A = 1,
    Ptr = 12,
    Txt = 16,
    Aaaa = 28,
    Srv = 33,
    Nsec = 47,
    Any = 255,
}

/// <summary>The class field and the mDNS top bit laid over it (RFC 6762 §10.2 cache-flush, §5.4 unicast-response).</summary>
public static class DnsClass
{
    public const ushort Internet = 1;
    public const ushort Any = 255;
    public const ushort TopBit = 0x8000;
}

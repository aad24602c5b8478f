using System.Net.Sockets;
using Usp.Agent.Discovery.Dns;

namespace Usp.Agent.Discovery;

/// <summary>
/// Builds the resource records of the advertisement (RFC 6763 §4–§7, §9): per service the PTR from the service type
/// (and each subtype) to the instance, the <c>_services._dns-sd._udp</c> PTR, the instance's SRV and TXT; and the host's
/// A/AAAA records for one interface. TTLs per RFC 6762 §10: 120 s for records that carry a host name, 4500 s otherwise.
/// </summary>
internal static class MdnsRecords
{
    public const uint HostTtl = 120;
    public const uint OtherTtl = 4500;

    public static readonly DnsName ServicesMetaQuery = DnsName.Parse("_services._dns-sd._udp.local");

    public static DnsName ServiceType(MdnsService service) => DnsName.Parse(service.ServiceType).EndsWith(MdnsAdvertisement.LocalDomain)
        ? DnsName.Parse(service.ServiceType)
        : DnsName.Parse(service.ServiceType + ".local");

    /// <summary>The host's address records for interface <paramref name="iface"/> (unique: cache-flush set).</summary>
    public static IEnumerable<DnsRecord> Host(DnsName host, MdnsInterface iface) =>
        iface.Addresses.Select(a => new DnsRecord(
            host, a.AddressFamily == AddressFamily.InterNetworkV6 ? DnsRecordType.Aaaa : DnsRecordType.A, DnsClass.Internet, true, HostTtl, new AddressData(a)));

    /// <summary>The instance's unique records: SRV and TXT.</summary>
    public static IEnumerable<DnsRecord> UniqueOfService(DnsName instance, DnsName host, MdnsService service)
    {
        yield return new DnsRecord(instance, DnsRecordType.Srv, DnsClass.Internet, true, HostTtl, new SrvData(0, 0, service.Port, host));
        yield return new DnsRecord(instance, DnsRecordType.Txt, DnsClass.Internet, true, OtherTtl, TxtData.FromTexts(service.Txt));
    }

    /// <summary>The instance's shared records: the service PTR, the subtype PTRs, and the service-type enumeration PTR.</summary>
    public static IEnumerable<DnsRecord> SharedOfService(DnsName instance, MdnsService service)
    {
        DnsName type = ServiceType(service);
        yield return new DnsRecord(type, DnsRecordType.Ptr, DnsClass.Internet, false, OtherTtl, new PtrData(instance));
        foreach (string subtype in service.Subtypes)
        {
            yield return new DnsRecord(type.Prepend("_sub").Prepend(subtype), DnsRecordType.Ptr, DnsClass.Internet, false, OtherTtl, new PtrData(instance));
        }

        yield return new DnsRecord(ServicesMetaQuery, DnsRecordType.Ptr, DnsClass.Internet, false, OtherTtl, new PtrData(type));
    }

    /// <summary>The records to add to an answer (RFC 6763 §12): SRV, TXT and addresses for a PTR; addresses for an SRV.</summary>
    public static IEnumerable<DnsRecord> AdditionalFor(DnsRecord answer, IReadOnlyList<DnsRecord> available)
    {
        if (answer.Data is PtrData ptr)
        {
            foreach (DnsRecord record in available.Where(r => r.Name.Equals(ptr.Target) && r.Type is DnsRecordType.Srv or DnsRecordType.Txt))
            {
                yield return record;
                if (record.Data is SrvData srv)
                {
                    foreach (DnsRecord address in AddressesOf(srv.Target, available))
                    {
                        yield return address;
                    }
                }
            }
        }
        else if (answer.Data is SrvData srv)
        {
            foreach (DnsRecord address in AddressesOf(srv.Target, available))
            {
                yield return address;
            }
        }
    }

    private static IEnumerable<DnsRecord> AddressesOf(DnsName host, IReadOnlyList<DnsRecord> available) =>
        available.Where(r => r.Type is DnsRecordType.A or DnsRecordType.Aaaa && r.Name.Equals(host));
}

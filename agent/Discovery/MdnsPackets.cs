using Usp.Agent.Discovery.Dns;

namespace Usp.Agent.Discovery;

/// <summary>Assembles mDNS datagrams, splitting records over several when they do not fit one.</summary>
internal static class MdnsPackets
{
    /// <summary>Fits an Ethernet MTU over IPv6 (1500 − 40 − 8), RFC 6762 §17.</summary>
    public const int MaxDatagram = 1452;

    public const ushort ResponseFlags = DnsMessage.ResponseFlag | DnsMessage.AuthoritativeFlag;

    /// <summary>Responses: answers first (split as needed), additionals where they still fit.</summary>
    public static List<byte[]> Response(IReadOnlyList<DnsRecord> answers, IReadOnlyList<DnsRecord> additionals, ushort id = 0, IReadOnlyList<DnsQuestion>? questions = null)
    {
        var packets = new List<byte[]>();
        DnsMessageWriter? writer = null;
        foreach (DnsRecord answer in answers)
        {
            writer ??= Start(id, ResponseFlags, questions);
            if (!writer.TryWriteRecord(DnsSection.Answer, answer))
            {
                packets.Add(writer.ToArray());
                writer = Start(id, ResponseFlags, questions);
                writer.TryWriteRecord(DnsSection.Answer, answer);
            }
        }

        if (writer is null)
        {
            return packets;
        }

        foreach (DnsRecord additional in additionals)
        {
            writer.TryWriteRecord(DnsSection.Additional, additional);
        }

        packets.Add(writer.ToArray());
        return packets;
    }

    /// <summary>A probe (RFC 6762 §8.1): ANY questions, QU, for each name; our proposed records in the authority section.</summary>
    public static byte[] Probe(IEnumerable<DnsName> names, IEnumerable<DnsRecord> proposed)
    {
        var writer = new DnsMessageWriter(MaxDatagram, 0, 0);
        foreach (DnsName name in names)
        {
            writer.TryWriteQuestion(new DnsQuestion(name, DnsRecordType.Any, DnsClass.Internet, UnicastResponse: true));
        }

        foreach (DnsRecord record in proposed)
        {
            writer.TryWriteRecord(DnsSection.Authority, record);
        }

        return writer.ToArray();
    }

    /// <summary>A query (QM) for the resolver.</summary>
    public static byte[] Query(ushort id, IEnumerable<DnsQuestion> questions, IEnumerable<DnsRecord>? knownAnswers = null)
    {
        var writer = new DnsMessageWriter(MaxDatagram, id, 0);
        foreach (DnsQuestion question in questions)
        {
            writer.TryWriteQuestion(question);
        }

        foreach (DnsRecord known in knownAnswers ?? [])
        {
            writer.TryWriteRecord(DnsSection.Answer, known);
        }

        return writer.ToArray();
    }

    private static DnsMessageWriter Start(ushort id, ushort flags, IReadOnlyList<DnsQuestion>? questions)
    {
        var writer = new DnsMessageWriter(MaxDatagram, id, flags);
        foreach (DnsQuestion question in questions ?? [])
        {
            writer.TryWriteQuestion(question);
        }

        return writer;
    }
}

using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Usp.Agent.Discovery.Dns;

/// <summary>
/// Decodes DNS messages. Never throws on input: a malformed message (truncated anywhere, a compression pointer that
/// does not point strictly backwards, a reserved label type, a label over 63 or a name over 255 bytes, counts that
/// cannot fit in the packet, record data that overruns its length or does not fill it) yields false. The work is
/// bounded by the packet: every pointer moves strictly backwards and every label forwards.
/// </summary>
public static class DnsMessageReader
{
    private const int HeaderLength = 12;
    private const int MinQuestionLength = 5;
    private const int MinRecordLength = 11;

    public static bool TryRead(ReadOnlySpan<byte> packet, out DnsMessage message)
    {
        message = new DnsMessage();
        if (packet.Length < HeaderLength)
        {
            return false;
        }

        ushort id = BinaryPrimitives.ReadUInt16BigEndian(packet);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        int questionCount = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        int answerCount = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        int authorityCount = BinaryPrimitives.ReadUInt16BigEndian(packet[8..]);
        int additionalCount = BinaryPrimitives.ReadUInt16BigEndian(packet[10..]);
        if ((questionCount * MinQuestionLength) + ((answerCount + authorityCount + additionalCount) * MinRecordLength) > packet.Length - HeaderLength)
        {
            return false;
        }

        int position = HeaderLength;
        var questions = new List<DnsQuestion>(questionCount);
        for (int i = 0; i < questionCount; i++)
        {
            if (!TryReadName(packet, ref position, out DnsName name) || position + 4 > packet.Length)
            {
                return false;
            }

            ushort type = BinaryPrimitives.ReadUInt16BigEndian(packet[position..]);
            ushort rawClass = BinaryPrimitives.ReadUInt16BigEndian(packet[(position + 2)..]);
            position += 4;
            questions.Add(new DnsQuestion(name, (DnsRecordType)type, (ushort)(rawClass & ~DnsClass.TopBit), (rawClass & DnsClass.TopBit) != 0));
        }

        if (!TryReadRecords(packet, ref position, answerCount, out List<DnsRecord> answers) ||
            !TryReadRecords(packet, ref position, authorityCount, out List<DnsRecord> authorities) ||
            !TryReadRecords(packet, ref position, additionalCount, out List<DnsRecord> additionals))
        {
            return false;
        }

        message = new DnsMessage
        {
            Id = id,
            Flags = flags,
            Questions = questions,
            Answers = answers,
            Authorities = authorities,
            Additionals = additionals,
        };
        return true;
    }

    /// <summary>Reads a possibly compressed name at <paramref name="position"/>, which moves past the name's bytes in place.</summary>
    public static bool TryReadName(ReadOnlySpan<byte> packet, ref int position, out DnsName name)
    {
        name = DnsName.Root;
        var labels = new List<string>();
        int cursor = position;
        int segmentStart = position;
        int length = 1;
        bool jumped = false;
        while (true)
        {
            if (cursor >= packet.Length)
            {
                return false;
            }

            byte head = packet[cursor];
            switch (head & 0xC0)
            {
                case 0x00 when head == 0:
                    if (!jumped)
                    {
                        position = cursor + 1;
                    }

                    return DnsName.TryCreate(labels, out name);

                case 0x00:
                    length += head + 1;
                    if (length > DnsName.MaxLength || cursor + 1 + head > packet.Length)
                    {
                        return false;
                    }

                    labels.Add(Encoding.UTF8.GetString(packet.Slice(cursor + 1, head)));
                    cursor += 1 + head;
                    break;

                case 0xC0:
                    if (cursor + 1 >= packet.Length)
                    {
                        return false;
                    }

                    int target = ((head & 0x3F) << 8) | packet[cursor + 1];

                    // Strictly before the labels read since the last jump: no loop, no forward reference.
                    if (target >= segmentStart)
                    {
                        return false;
                    }

                    if (!jumped)
                    {
                        position = cursor + 2;
                        jumped = true;
                    }

                    cursor = segmentStart = target;
                    break;

                default:
                    // 01 and 10: extended and reserved label types (RFC 6891 §5, RFC 2673 withdrawn).
                    return false;
            }
        }
    }

    private static bool TryReadRecords(ReadOnlySpan<byte> packet, ref int position, int count, out List<DnsRecord> records)
    {
        records = new List<DnsRecord>(count);
        for (int i = 0; i < count; i++)
        {
            if (!TryReadName(packet, ref position, out DnsName name) || position + 10 > packet.Length)
            {
                return false;
            }

            var type = (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(packet[position..]);
            ushort rawClass = BinaryPrimitives.ReadUInt16BigEndian(packet[(position + 2)..]);
            uint ttl = BinaryPrimitives.ReadUInt32BigEndian(packet[(position + 4)..]);
            int dataLength = BinaryPrimitives.ReadUInt16BigEndian(packet[(position + 8)..]);
            position += 10;
            int end = position + dataLength;
            if (end > packet.Length || !TryReadData(packet, position, end, type, out DnsRData? data))
            {
                return false;
            }

            position = end;
            records.Add(new DnsRecord(name, type, (ushort)(rawClass & ~DnsClass.TopBit), (rawClass & DnsClass.TopBit) != 0, ttl, data));
        }

        return true;
    }

    private static bool TryReadData(ReadOnlySpan<byte> packet, int start, int end, DnsRecordType type, out DnsRData data)
    {
        data = null!;
        int position = start;
        ReadOnlySpan<byte> bytes = packet[start..end];
        switch (type)
        {
            case DnsRecordType.A or DnsRecordType.Aaaa:
                if (bytes.Length != (type == DnsRecordType.A ? 4 : 16))
                {
                    return false;
                }

                data = new AddressData(new IPAddress(bytes));
                return true;

            case DnsRecordType.Ptr:
                if (!TryReadName(packet[..end], ref position, out DnsName target) || position != end)
                {
                    return false;
                }

                data = new PtrData(target);
                return true;

            case DnsRecordType.Srv:
                if (bytes.Length < 7)
                {
                    return false;
                }

                position += 6;
                if (!TryReadName(packet[..end], ref position, out DnsName host) || position != end)
                {
                    return false;
                }

                data = new SrvData(
                    BinaryPrimitives.ReadUInt16BigEndian(bytes), BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]), BinaryPrimitives.ReadUInt16BigEndian(bytes[4..]), host);
                return true;

            case DnsRecordType.Txt:
                var strings = new List<byte[]>();
                for (int i = 0; i < bytes.Length;)
                {
                    int length = bytes[i];
                    if (i + 1 + length > bytes.Length)
                    {
                        return false;
                    }

                    strings.Add(bytes.Slice(i + 1, length).ToArray());
                    i += 1 + length;
                }

                data = new TxtData(strings);
                return true;

            default:
                data = new RawData(bytes.ToArray());
                return true;
        }
    }
}

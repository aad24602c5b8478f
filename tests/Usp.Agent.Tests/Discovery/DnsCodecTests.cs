using System.Net;
using Usp.Agent.Discovery.Dns;

namespace Usp.Agent.Tests.Discovery;

/// <summary>The DNS message codec: round trips, compression, and every malformed shape the issue names, refused without an exception.</summary>
public sealed class DnsCodecTests
{
    private static readonly DnsName Instance = DnsName.Parse("_usp-agt-coap._udp.local").Prepend("proto::agent.1");
    private static readonly DnsName Host = DnsName.Parse("gw.local");

    [Fact]
    public void A_response_with_every_record_type_round_trips_and_compresses_repeated_names()
    {
        var message = new DnsMessage
        {
            Id = 0,
            Flags = DnsMessage.ResponseFlag | DnsMessage.AuthoritativeFlag,
            Answers =
            [
                new DnsRecord(DnsName.Parse("_usp-agt-coap._udp.local"), DnsRecordType.Ptr, DnsClass.Internet, false, 4500, new PtrData(Instance)),
                new DnsRecord(Instance, DnsRecordType.Srv, DnsClass.Internet, true, 120, new SrvData(0, 0, 5683, Host)),
                new DnsRecord(Instance, DnsRecordType.Txt, DnsClass.Internet, true, 4500, TxtData.FromTexts(["path=e/proto::agent.1", "name=Kitchen", "encrypt"])),
            ],
            Additionals =
            [
                new DnsRecord(Host, DnsRecordType.A, DnsClass.Internet, true, 120, new AddressData(IPAddress.Parse("192.0.2.1"))),
                new DnsRecord(Host, DnsRecordType.Aaaa, DnsClass.Internet, true, 120, new AddressData(IPAddress.Parse("fe80::1"))),
            ],
        };

        byte[] wire = DnsMessageWriter.Encode(message);

        Assert.True(DnsMessageReader.TryRead(wire, out DnsMessage read));
        Assert.True(read.IsResponse);
        Assert.Equal(3, read.Answers.Count);
        Assert.Equal(2, read.Additionals.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(read.Answers[i].SameRecordAs(message.Answers[i]));
            Assert.Equal(message.Answers[i].Ttl, read.Answers[i].Ttl);
            Assert.Equal(message.Answers[i].CacheFlush, read.Answers[i].CacheFlush);
        }

        Assert.Equal("proto::agent\\.1._usp-agt-coap._udp.local", read.Answers[1].Name.ToString());
        var txt = (TxtData)read.Answers[2].Data;
        Assert.Equal("e/proto::agent.1", txt.Get("path"));
        Assert.Equal("Kitchen", txt.Get("NAME"));
        Assert.Equal("", txt.Get("encrypt"));
        Assert.Null(txt.Get("missing"));

        // Without compression the instance name alone (43 bytes) would appear four times.
        int uncompressed = 12 + message.Answers.Concat(message.Additionals).Sum(r => r.Name.WireLength + 10 + r.Data.Canonical.Length);
        Assert.True(wire.Length < uncompressed - 100, $"{wire.Length} bytes against {uncompressed} uncompressed");
    }

    [Fact]
    public void Names_compare_without_regard_to_ascii_case()
    {
        Assert.Equal(DnsName.Parse("GW.Local"), DnsName.Parse("gw.local"));
        Assert.Equal(DnsName.Parse("GW.Local").GetHashCode(), DnsName.Parse("gw.local").GetHashCode());
        Assert.True(Instance.EndsWith(DnsName.Parse("_UDP.LOCAL")));
    }

    [Fact]
    public void Question_with_the_unicast_response_bit_round_trips()
    {
        var query = new DnsMessage { Questions = [new DnsQuestion(Instance, DnsRecordType.Any, DnsClass.Internet, UnicastResponse: true)] };
        Assert.True(DnsMessageReader.TryRead(DnsMessageWriter.Encode(query), out DnsMessage read));
        Assert.True(read.Questions[0].UnicastResponse);
        Assert.Equal(DnsRecordType.Any, read.Questions[0].Type);
        Assert.Equal(DnsClass.Internet, read.Questions[0].Class);
    }

    [Fact]
    public void Labels_over_63_bytes_and_names_over_255_bytes_cannot_be_built()
    {
        Assert.False(DnsName.TryCreate([new string('a', 64)], out _));
        Assert.True(DnsName.TryCreate([new string('a', 63)], out _));
        Assert.False(DnsName.TryCreate(Enumerable.Repeat(new string('a', 63), 4), out _)); // 4 × 64 + 1 = 257
        Assert.True(DnsName.TryCreate([.. Enumerable.Repeat(new string('a', 63), 3), new string('a', 61)], out DnsName longest));
        Assert.Equal(255, longest.WireLength);
        Assert.False(DnsName.TryCreate(["a", ""], out _));
    }

    public static TheoryData<string, byte[]> MalformedMessages() => new()
    {
        { "shorter than the header", [0, 0, 0, 0, 0, 1] },
        { "a question count the packet cannot hold", Header(qd: 100).Concat(Name("a")).Concat(new byte[] { 0, 1, 0, 1 }).ToArray() },
        { "a record count the packet cannot hold", Header(an: 3).Concat(Name("a")).Concat(new byte[] { 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4 }).ToArray() },
        { "a name truncated inside a label", Header(qd: 1).Concat(new byte[] { 5, (byte)'a', (byte)'b' }).ToArray() },
        { "a name without its root label", Header(qd: 1).Concat(new byte[] { 1, (byte)'a', 0, 1, 0 }).ToArray() },
        { "a pointer to itself", Header(qd: 1).Concat(new byte[] { 0xC0, 12, 0, 1, 0, 1 }).ToArray() },
        { "a pointer forward", Header(qd: 1).Concat(new byte[] { 0xC0, 20, 0, 1, 0, 1, 0, 0, 1, (byte)'a', 0 }).ToArray() },
        { "a pointer out of range", Header(qd: 1).Concat(new byte[] { 0xFF, 0xFF, 0, 1, 0, 1 }).ToArray() },
        { "a loop of two pointers", LoopOfTwoPointers() },
        { "a truncated pointer", Header(qd: 1).Concat(new byte[] { 0xC0 }).ToArray() },
        { "a label over 63 bytes (length byte 0x40: reserved label type)", Header(qd: 1).Concat(new byte[] { 0x40 }).Concat(new byte[64]).Concat(new byte[] { 0, 0, 1, 0, 1 }).ToArray() },
        { "a label of type 10", Header(qd: 1).Concat(new byte[] { 0x80, 1, 0, 0, 1, 0, 1 }).ToArray() },
        { "a name over 255 bytes", Header(qd: 1).Concat(Enumerable.Range(0, 5).SelectMany(_ => Label(new string('x', 60)))).Concat(new byte[] { 0, 0, 1, 0, 1 }).ToArray() },
        { "a name over 255 bytes through pointers", LongNameThroughPointers() },
        { "record data longer than the packet", Header(an: 1).Concat(Name("a")).Concat(new byte[] { 0, 1, 0, 1, 0, 0, 0, 1, 0, 40, 1, 2, 3, 4 }).ToArray() },
        { "an A record of 3 bytes", Header(an: 1).Concat(Name("a")).Concat(new byte[] { 0, 1, 0, 1, 0, 0, 0, 1, 0, 3, 1, 2, 3 }).ToArray() },
        { "a TXT string overrunning its record", Header(an: 1).Concat(Name("a")).Concat(new byte[] { 0, 16, 0, 1, 0, 0, 0, 1, 0, 3, 5, 1, 2 }).ToArray() },
        { "a PTR whose name runs past its data length", Header(an: 1).Concat(Name("a")).Concat(new byte[] { 0, 12, 0, 1, 0, 0, 0, 1, 0, 2, 1, (byte)'b', 0 }).ToArray() },
        { "an SRV too short for its fixed fields", Header(an: 1).Concat(Name("a")).Concat(new byte[] { 0, 33, 0, 1, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0 }).ToArray() },
    };

    [Theory]
    [MemberData(nameof(MalformedMessages))]
    public void Malformed_messages_are_refused_without_an_exception(string what, byte[] packet)
    {
        Assert.False(DnsMessageReader.TryRead(packet, out _), what);
    }

    [Fact]
    public void A_pointer_backwards_to_an_earlier_name_is_followed()
    {
        // Question "a.local", then an answer whose name is a pointer to offset 14 ("local").
        byte[] packet = Header(qd: 1, an: 1).Concat(Name("a.local")).Concat(new byte[] { 0, 1, 0, 1 })
            .Concat(new byte[] { 1, (byte)'b', 0xC0, 14, 0, 1, 0, 1, 0, 0, 0, 120, 0, 4, 10, 0, 0, 1 }).ToArray();
        Assert.True(DnsMessageReader.TryRead(packet, out DnsMessage message));
        Assert.Equal(DnsName.Parse("b.local"), message.Answers[0].Name);
    }

    [Fact]
    public void A_record_that_does_not_fit_is_left_out_and_the_message_stays_valid()
    {
        var writer = new DnsMessageWriter(60, 0, DnsMessage.ResponseFlag);
        var small = new DnsRecord(Host, DnsRecordType.A, DnsClass.Internet, true, 120, new AddressData(IPAddress.Loopback));
        var large = new DnsRecord(Instance, DnsRecordType.Txt, DnsClass.Internet, true, 4500, TxtData.FromTexts([new string('x', 200)]));
        Assert.True(writer.TryWriteRecord(DnsSection.Answer, small));
        Assert.False(writer.TryWriteRecord(DnsSection.Answer, large));
        Assert.True(DnsMessageReader.TryRead(writer.ToArray(), out DnsMessage read));
        Assert.Single(read.Answers);
    }

    internal static byte[] Header(int qd = 0, int an = 0, int ns = 0, int ar = 0) =>
        [0, 0, 0, 0, 0, (byte)qd, 0, (byte)an, 0, (byte)ns, 0, (byte)ar];

    private static IEnumerable<byte> Label(string label) => new[] { (byte)label.Length }.Concat(label.Select(c => (byte)c));

    private static byte[] Name(string dotted) => [.. dotted.Split('.').SelectMany(Label), 0];

    private static byte[] LoopOfTwoPointers()
    {
        // offset 12: label "a" then a pointer to 17; offset 17: pointer back to 12. Backward-only refuses the second.
        return [.. Header(qd: 1), 1, (byte)'a', 0xC0, 17, 0, 0xC0, 12, 0, 1, 0, 1];
    }

    private static byte[] LongNameThroughPointers()
    {
        // Five A records; each one's name is a 60-byte label and a pointer to the previous record's name, so the
        // fifth spells 5 × 61 + 1 = 306 bytes, over 255, though every pointer is a valid backward one.
        var packet = new List<byte>(Header(an: 5));
        int previous = -1;
        for (int i = 0; i < 5; i++)
        {
            int start = packet.Count;
            packet.AddRange(Label(new string((char)('a' + i), 60)));
            if (previous < 0)
            {
                packet.Add(0);
            }
            else
            {
                packet.Add((byte)(0xC0 | (previous >> 8)));
                packet.Add((byte)previous);
            }

            packet.AddRange(new byte[] { 0, 1, 0, 1, 0, 0, 0, 120, 0, 4, 10, 0, 0, 1 });
            previous = start;
        }

        return [.. packet];
    }
}

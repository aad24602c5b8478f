using System.Diagnostics;
using System.Net;
using Usp.Agent.Discovery;
using Usp.Agent.Discovery.Dns;
using Usp.Tests.Support;
using Xunit.Abstractions;
using static Usp.Agent.Tests.Discovery.ResponderRig;

namespace Usp.Agent.Tests.Discovery;

/// <summary>
/// Seeded fuzzing of the DNS codec and the mDNS responder: mutated messages (10,000; <c>USP_LONG_TESTS=1</c>: 100,000) from
/// tests/corpus/dns-messages.hex (hand-encoded edge cases) and messages our writer encodes. Pass: nothing escapes,
/// whatever decodes encodes again, every answer decodes and fits a datagram, the managed heap stays bounded, and a
/// normal query is answered afterwards.
/// </summary>
public sealed class DnsFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Mutated_messages_reach_the_codec_and_the_responder_without_an_escaped_exception_and_a_normal_query_is_answered_after()
    {
        int messages = FuzzCorpus.Iterations(10_000, 100_000);
        var random = new Random(14);
        byte[][] corpus = FuzzCorpus.Load("dns-messages.hex");
        byte[][] seeds = [.. Seeds(), .. corpus];
        int corpusDecoded = corpus.Count(c => DnsMessageReader.TryRead(c, out _));
        var rig = new ResponderRig();
        rig.Establish();
        int decoded = 0, answers = 0;
        long heapAtStart = ManagedHeap.Settled();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < messages; i++)
        {
            byte[] packet = Mutate(seeds[random.Next(seeds.Length)], random);
            if (DnsMessageReader.TryRead(packet, out DnsMessage message))
            {
                decoded++;

                // Whatever decodes encodes again, and that decodes.
                Assert.True(DnsMessageReader.TryRead(DnsMessageWriter.Encode(message), out _));
            }

            var from = new IPEndPoint(IPAddress.Parse("10.0.0.2"), random.Next(4) == 0 ? 40000 : 5353);
            rig.Responder.Receive(packet, from, 2, rig.Now);
            rig.Now += TimeSpan.FromMilliseconds(1);
            rig.Responder.Poll(rig.Now);
            foreach (MdnsOutgoing sent in rig.Responder.TakeOutgoing())
            {
                answers++;
                Assert.True(DnsMessageReader.TryRead(sent.Data, out _));
                Assert.True(sent.Data.Length <= 1452);
            }
        }

        long heapGrowth = ManagedHeap.Settled() - heapAtStart;

        // A normal query is answered afterwards, once any re-probing the fuzz caused has ended (a conflicting record
        // may have renamed the instance, RFC 6762 section 9: the answer names whatever instance is claimed now).
        rig.Run(TimeSpan.FromSeconds(10));
        Assert.All(rig.Responder.Claims, c => Assert.Equal(ClaimState.Established, c.State));
        rig.Sent.Clear();
        rig.Receive(Query(new DnsQuestion(ServiceType, DnsRecordType.Ptr)), new IPEndPoint(IPAddress.Parse("10.0.0.3"), 5353));
        rig.Run(TimeSpan.FromMilliseconds(200));
        var ptr = rig.Decoded().SelectMany(d => d.Message.Answers).FirstOrDefault(r => r.Type == DnsRecordType.Ptr && r.Name.Equals(ServiceType));
        Assert.True(ptr is not null, $"no PTR answer to a normal query after the fuzz; sent: {rig.Decoded().Count} datagrams");
        DnsName instance = ((PtrData)ptr.Data).Target;
        Assert.Contains(rig.Decoded().SelectMany(d => d.Message.Additionals), r => r.Type == DnsRecordType.Srv && r.Name.Equals(instance));

        output.WriteLine($"{messages} messages (seed 14; {seeds.Length} seeds, {corpusDecoded} of the {corpus.Length} in the corpus decode unmutated) in {clock.ElapsedMilliseconds} ms: " +
            $"{decoded} decoded, {answers} datagrams sent by the responder, managed heap {heapGrowth / 1024} KiB above the start; afterwards a PTR query was answered with {instance}");
        Assert.True(decoded > messages / 100, $"only {decoded} mutated messages decoded: the mutations do not reach the decoder's deeper paths");
        Assert.True(answers > messages / 1000, $"only {answers} answers: the mutations do not reach the responder's answering paths");
        Assert.True(heapGrowth < 16 * 1024 * 1024, $"managed heap grew {heapGrowth / 1024} KiB");
    }

    private static byte[][] Seeds()
    {
        var ptr = new DnsRecord(ServiceType, DnsRecordType.Ptr, DnsClass.Internet, false, 4500, new PtrData(InstanceName));
        var srv = new DnsRecord(InstanceName, DnsRecordType.Srv, DnsClass.Internet, true, 120, new SrvData(0, 0, 5683, HostName));
        var txt = new DnsRecord(InstanceName, DnsRecordType.Txt, DnsClass.Internet, true, 4500, TxtData.FromTexts(["path=e/x", "name=y"]));
        var a = new DnsRecord(HostName, DnsRecordType.A, DnsClass.Internet, true, 120, new AddressData(IPAddress.Parse("10.0.0.7")));
        var aaaa = new DnsRecord(HostName, DnsRecordType.Aaaa, DnsClass.Internet, true, 120, new AddressData(IPAddress.Parse("fe80::7")));
        var nsec = new DnsRecord(HostName, DnsRecordType.Nsec, DnsClass.Internet, true, 120, new RawData([0xC0, 12, 0, 4, 0x40, 0, 0, 8]));
        return
        [
            DnsMessageWriter.Encode(Query(new DnsQuestion(ServiceType, DnsRecordType.Ptr))),
            DnsMessageWriter.Encode(new DnsMessage { Questions = [new DnsQuestion(ServiceType, DnsRecordType.Ptr)], Answers = [ptr] }),
            DnsMessageWriter.Encode(Query(new DnsQuestion(InstanceName, DnsRecordType.Any, DnsClass.Internet, true), new DnsQuestion(HostName, DnsRecordType.A))),
            DnsMessageWriter.Encode(new DnsMessage { Questions = [new DnsQuestion(InstanceName, DnsRecordType.Any)], Authorities = [srv, txt] }),
            DnsMessageWriter.Encode(new DnsMessage { Flags = 0x8400, Answers = [ptr, srv, txt], Additionals = [a, aaaa, nsec] }),
            DnsMessageWriter.Encode(new DnsMessage { Id = 7, Questions = [new DnsQuestion(HostName, DnsRecordType.Aaaa)] }),
            DnsMessageWriter.Encode(Query(new DnsQuestion(DnsName.Parse("_services._dns-sd._udp.local"), DnsRecordType.Ptr))),
        ];
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = new List<byte>(seed);
        int mutations = 1 + random.Next(4);
        for (int m = 0; m < mutations && bytes.Count > 0; m++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(8))
            {
                case 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                case 1: bytes[at] = (byte)random.Next(256); break;
                case 2: bytes.RemoveRange(at, bytes.Count - at); break;
                case 3: bytes.Insert(at, (byte)random.Next(256)); break;
                case 4: bytes.RemoveAt(at); break;
                case 5:
                    // A compression pointer anywhere, to anywhere (backwards, forwards, out of range, at itself).
                    bytes[at] = (byte)(0xC0 | random.Next(4));
                    if (at + 1 < bytes.Count)
                    {
                        bytes[at + 1] = (byte)random.Next(256);
                    }

                    break;
                case 6:
                    // A section count changed.
                    if (bytes.Count >= 12)
                    {
                        bytes[5 + (2 * random.Next(4))] = (byte)random.Next(256);
                    }

                    break;
                default:
                    // A label length byte made long (> 63 reads as a reserved label type).
                    bytes[at] = (byte)(60 + random.Next(8));
                    break;
            }
        }

        return [.. bytes];
    }
}

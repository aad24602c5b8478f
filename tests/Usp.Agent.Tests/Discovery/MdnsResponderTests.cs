using System.Net;
using Usp.Agent.Discovery;
using Usp.Agent.Discovery.Dns;
using static Usp.Agent.Tests.Discovery.ResponderRig;

namespace Usp.Agent.Tests.Discovery;

/// <summary>The RFC 6762 responder as a state machine: probing, announcing, answering, conflicts, goodbyes.</summary>
public sealed class MdnsResponderTests
{
    [Fact]
    public void Probes_three_times_250_ms_apart_then_announces_twice_one_second_apart()
    {
        var rig = new ResponderRig();
        rig.Update(Advertisement(Service()));
        rig.Run(TimeSpan.FromSeconds(4));

        var packets = rig.Decoded();
        var probes = packets.Where(p => !p.Message.IsResponse).ToList();
        var announcements = packets.Where(p => p.Message.IsResponse).ToList();

        Assert.Equal(3, probes.Count);
        Assert.True(probes[0].Time - new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) <= TimeSpan.FromMilliseconds(250));
        Assert.Equal(TimeSpan.FromMilliseconds(250), probes[1].Time - probes[0].Time);
        Assert.Equal(TimeSpan.FromMilliseconds(250), probes[2].Time - probes[1].Time);
        foreach (var probe in probes)
        {
            // §8.1: QU questions of type ANY for each unique name, our proposed records in the authority section.
            Assert.Contains(probe.Message.Questions, q => q.Name.Equals(InstanceName) && q.Type == DnsRecordType.Any && q.UnicastResponse);
            Assert.Contains(probe.Message.Questions, q => q.Name.Equals(HostName) && q.Type == DnsRecordType.Any);
            Assert.Contains(probe.Message.Authorities, r => r.Type == DnsRecordType.Srv);
            Assert.Contains(probe.Message.Authorities, r => r.Type == DnsRecordType.A);
        }

        Assert.Equal(2, announcements.Count);
        Assert.Equal(TimeSpan.FromMilliseconds(250), announcements[0].Time - probes[2].Time);
        Assert.Equal(TimeSpan.FromSeconds(1), announcements[1].Time - announcements[0].Time);
        DnsMessage announcement = announcements[0].Message;
        Assert.Equal(0, announcement.Id);
        Assert.Contains(announcement.Answers, r => r.Type == DnsRecordType.Ptr && r.Name.Equals(ServiceType) && ((PtrData)r.Data).Target.Equals(InstanceName) && r.Ttl == 4500 && !r.CacheFlush);
        Assert.Contains(announcement.Answers, r => r.Type == DnsRecordType.Srv && ((SrvData)r.Data).Port == 5683 && ((SrvData)r.Data).Target.Equals(HostName) && r.Ttl == 120 && r.CacheFlush);
        Assert.Contains(announcement.Answers, r => r.Type == DnsRecordType.Txt && ((TxtData)r.Data).Get("name") == "Kitchen" && r.Ttl == 4500 && r.CacheFlush);
        Assert.Contains(announcement.Answers, r => r.Type == DnsRecordType.A && ((AddressData)r.Data).Address.Equals(IPAddress.Parse("10.0.0.1")) && r.Ttl == 120);
        Assert.Contains(announcement.Answers, r => r.Type == DnsRecordType.Aaaa && ((AddressData)r.Data).Address.Equals(IPAddress.Parse("fe80::1")));
        Assert.Contains(announcement.Answers, r => r.Name.Equals(DnsName.Parse("_services._dns-sd._udp.local")));
        Assert.All(packets, p => Assert.Null(p.Packet.Destination));
        Assert.Contains(rig.Log.Lines, l => l.Contains($"{EndpointId}._usp-agt-coap._udp.local announced", StringComparison.Ordinal));
    }

    [Fact]
    public void Answers_a_PTR_question_with_SRV_TXT_and_addresses_as_additional_records()
    {
        var rig = new ResponderRig();
        rig.Establish();
        rig.Now += TimeSpan.FromSeconds(5);
        rig.Receive(Query(new DnsQuestion(ServiceType, DnsRecordType.Ptr)));
        rig.Run(TimeSpan.FromMilliseconds(200));

        var answer = Assert.Single(rig.Decoded());
        Assert.True(answer.Message.IsResponse);
        Assert.Null(answer.Packet.Destination);
        DnsRecord ptr = Assert.Single(answer.Message.Answers);
        Assert.Equal(DnsRecordType.Ptr, ptr.Type);
        Assert.Contains(answer.Message.Additionals, r => r.Type == DnsRecordType.Srv);
        Assert.Contains(answer.Message.Additionals, r => r.Type == DnsRecordType.Txt);
        Assert.Contains(answer.Message.Additionals, r => r.Type == DnsRecordType.A);
        Assert.Contains(answer.Message.Additionals, r => r.Type == DnsRecordType.Aaaa);

        // Shared records wait 20–120 ms (§6).
        Assert.InRange(answer.Time - (rig.Now - TimeSpan.FromMilliseconds(200)), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(125));
    }

    [Fact]
    public void Answers_SRV_TXT_A_AAAA_and_ANY_questions_at_once()
    {
        var rig = new ResponderRig();
        rig.Establish();
        rig.Now += TimeSpan.FromSeconds(5);
        rig.Receive(Query(new DnsQuestion(InstanceName, DnsRecordType.Srv)));
        rig.Receive(Query(new DnsQuestion(HostName, DnsRecordType.Aaaa)));
        rig.Receive(Query(new DnsQuestion(InstanceName, DnsRecordType.Txt)));

        var packets = rig.Decoded();
        Assert.Equal(3, packets.Count);
        Assert.Equal(DnsRecordType.Srv, Assert.Single(packets[0].Message.Answers).Type);
        Assert.Contains(packets[0].Message.Additionals, r => r.Type == DnsRecordType.A);
        Assert.Equal(DnsRecordType.Aaaa, Assert.Single(packets[1].Message.Answers).Type);
        Assert.Equal(DnsRecordType.Txt, Assert.Single(packets[2].Message.Answers).Type);

        rig.Sent.Clear();
        rig.Now += TimeSpan.FromSeconds(2);
        rig.Receive(Query(new DnsQuestion(InstanceName, DnsRecordType.Any)));
        var any = Assert.Single(rig.Decoded());
        Assert.Equal([DnsRecordType.Txt, DnsRecordType.Srv], any.Message.Answers.Select(r => r.Type).Order());
    }

    [Fact]
    public void Known_answers_with_at_least_half_their_TTL_left_are_not_repeated()
    {
        var rig = new ResponderRig();
        rig.Establish();
        rig.Now += TimeSpan.FromSeconds(5);
        var known = new DnsRecord(ServiceType, DnsRecordType.Ptr, DnsClass.Internet, false, 3000, new PtrData(InstanceName));
        rig.Receive(new DnsMessage { Questions = [new DnsQuestion(ServiceType, DnsRecordType.Ptr)], Answers = [known] });
        rig.Run(TimeSpan.FromMilliseconds(200));
        Assert.Empty(rig.Sent);

        // With less than half the TTL left the querier gets the answer.
        rig.Receive(new DnsMessage { Questions = [new DnsQuestion(ServiceType, DnsRecordType.Ptr)], Answers = [known.WithTtl(2000)] });
        rig.Run(TimeSpan.FromMilliseconds(200));
        Assert.Single(rig.Sent);
    }

    [Fact]
    public void A_QU_question_is_answered_by_unicast_while_the_record_was_multicast_recently_else_by_multicast()
    {
        var rig = new ResponderRig();
        rig.Establish();
        rig.Now += TimeSpan.FromSeconds(5);
        rig.Receive(Query(new DnsQuestion(InstanceName, DnsRecordType.Srv, DnsClass.Internet, UnicastResponse: true)));
        Assert.Equal(Peer, Assert.Single(rig.Sent).Packet.Destination);

        // The SRV's TTL is 120 s: a quarter of it later the answer is multicast instead (§5.4).
        rig.Sent.Clear();
        rig.Now += TimeSpan.FromSeconds(31);
        rig.Receive(Query(new DnsQuestion(InstanceName, DnsRecordType.Srv, DnsClass.Internet, UnicastResponse: true)));
        Assert.Null(Assert.Single(rig.Sent).Packet.Destination);
    }

    [Fact]
    public void A_query_from_a_port_other_than_5353_gets_a_legacy_unicast_answer_with_its_id_the_question_and_a_ttl_of_at_most_10_s()
    {
        var rig = new ResponderRig();
        rig.Establish();
        var from = new IPEndPoint(IPAddress.Parse("10.0.0.2"), 40000);
        rig.Receive(new DnsMessage { Id = 0x1234, Questions = [new DnsQuestion(HostName, DnsRecordType.A)] }, from);

        var answer = Assert.Single(rig.Decoded());
        Assert.Equal(from, answer.Packet.Destination);
        Assert.Equal(0x1234, answer.Message.Id);
        Assert.Equal(HostName, Assert.Single(answer.Message.Questions).Name);
        DnsRecord a = Assert.Single(answer.Message.Answers);
        Assert.Equal(10u, a.Ttl);
        Assert.False(a.CacheFlush);
    }

    [Fact]
    public void A_record_is_multicast_at_most_once_a_second_on_an_interface()
    {
        var rig = new ResponderRig();
        rig.Establish();
        rig.Now += TimeSpan.FromSeconds(5);
        for (int i = 0; i < 50; i++)
        {
            rig.Receive(Query(new DnsQuestion(InstanceName, DnsRecordType.Srv)));
            rig.Now += TimeSpan.FromMilliseconds(20);
        }

        // 50 queries over one second: one answer, then the next once the second has passed.
        Assert.Single(rig.Sent);
        rig.Receive(Query(new DnsQuestion(InstanceName, DnsRecordType.Srv)));
        Assert.Equal(2, rig.Sent.Count);
    }

    [Fact]
    public void Each_interface_answers_with_its_own_addresses_only()
    {
        var rig = new ResponderRig();
        rig.Update(Advertisement(Service()), Eth0, Eth1);
        rig.Run(TimeSpan.FromSeconds(3));
        rig.Sent.Clear();
        rig.Now += TimeSpan.FromSeconds(5);
        rig.Receive(Query(new DnsQuestion(HostName, DnsRecordType.A)), new IPEndPoint(IPAddress.Parse("192.168.7.2"), 5353), Eth1.Index);

        var answer = Assert.Single(rig.Decoded());
        Assert.Equal(Eth1.Index, answer.Packet.InterfaceIndex);
        Assert.Equal(IPAddress.Parse("192.168.7.1"), ((AddressData)Assert.Single(answer.Message.Answers).Data).Address);
    }

    [Fact]
    public void A_conflicting_answer_while_probing_makes_the_agent_take_a_new_name_and_say_so()
    {
        var rig = new ResponderRig();
        rig.Update(Advertisement(Service()));
        rig.Run(TimeSpan.FromMilliseconds(300));
        Assert.Contains(rig.Decoded(), p => !p.Message.IsResponse);

        // Another host already owns the instance name.
        var theirs = new DnsRecord(InstanceName, DnsRecordType.Srv, DnsClass.Internet, true, 120, new SrvData(0, 0, 9999, DnsName.Parse("other.local")));
        rig.Receive(new DnsMessage { Flags = DnsMessage.ResponseFlag | DnsMessage.AuthoritativeFlag, Answers = [theirs] });
        rig.Sent.Clear();
        rig.Run(TimeSpan.FromSeconds(3));

        DnsName renamed = ServiceType.Prepend(EndpointId + " (2)");
        Assert.Contains(rig.Responder.Claims, c => c.Name.Equals(renamed) && c.State == ClaimState.Established);
        Assert.Contains(rig.Log.Lines, l => l.Contains($"'{EndpointId}._usp-agt-coap._udp.local' is already in use", StringComparison.Ordinal) && l.Contains("(2)", StringComparison.Ordinal));
        var announcements = rig.Decoded().Where(p => p.Message.IsResponse).Select(p => p.Message).ToList();
        Assert.Contains(announcements, a => a.Answers.Any(r => r.Type == DnsRecordType.Srv && r.Name.Equals(renamed)));
        Assert.DoesNotContain(announcements, a => a.Answers.Any(r => r.Name.Equals(InstanceName)));
    }

    [Fact]
    public void Its_own_looped_back_packets_are_not_a_conflict()
    {
        var rig = new ResponderRig();
        rig.Update(Advertisement(Service()));
        for (int i = 0; i < 600; i++)
        {
            rig.Run(TimeSpan.FromMilliseconds(5));
            foreach (var sent in rig.Sent.ToList())
            {
                rig.Responder.Receive(sent.Packet.Data, new IPEndPoint(IPAddress.Parse("10.0.0.1"), 5353), 2, rig.Now);
            }

            rig.Sent.Clear();
        }

        Assert.Contains(rig.Responder.Claims, c => c.Name.Equals(InstanceName) && c.State == ClaimState.Established);
        Assert.DoesNotContain(rig.Log.Lines, l => l.Contains("already in use", StringComparison.Ordinal));
    }

    [Fact]
    public void A_simultaneous_probe_with_lexicographically_later_data_wins_and_we_probe_again_after_a_second()
    {
        var rig = new ResponderRig();
        rig.Update(Advertisement(Service()));
        rig.Run(TimeSpan.FromMilliseconds(300));
        int InstanceProbes() => rig.Decoded().Count(p => !p.Message.IsResponse && p.Message.Questions.Any(q => q.Name.Equals(InstanceName)));
        int probesBefore = InstanceProbes();

        // Their SRV names port 65535: its data sorts after ours (5683), so they win the tie-break (§8.2).
        var theirs = new DnsRecord(InstanceName, DnsRecordType.Srv, DnsClass.Internet, true, 120, new SrvData(0, 0, 65535, HostName));
        rig.Receive(new DnsMessage { Questions = [new DnsQuestion(InstanceName, DnsRecordType.Any)], Authorities = [theirs] });
        rig.Run(TimeSpan.FromMilliseconds(900));
        Assert.Equal(probesBefore, InstanceProbes());
        rig.Run(TimeSpan.FromMilliseconds(400));
        Assert.True(InstanceProbes() > probesBefore);
    }

    [Fact]
    public void Goodbye_sends_every_announced_record_with_TTL_0()
    {
        var rig = new ResponderRig();
        rig.Establish();
        rig.Responder.Goodbye();
        rig.Run(TimeSpan.FromMilliseconds(5));

        var goodbye = Assert.Single(rig.Decoded()).Message;
        Assert.True(goodbye.IsResponse);
        Assert.All(goodbye.Answers, r => Assert.Equal(0u, r.Ttl));
        Assert.Contains(goodbye.Answers, r => r.Type == DnsRecordType.Ptr && r.Name.Equals(ServiceType));
        Assert.Contains(goodbye.Answers, r => r.Type == DnsRecordType.Srv);
        Assert.Contains(goodbye.Answers, r => r.Type == DnsRecordType.A);
    }

    [Fact]
    public void A_changed_FriendlyName_or_port_is_announced_again_within_a_second()
    {
        var rig = new ResponderRig();
        rig.Establish();
        rig.Now += TimeSpan.FromSeconds(10);
        DateTimeOffset changed = rig.Now;
        rig.Update(Advertisement(Service(name: "Living room", port: 5690)));
        rig.Run(TimeSpan.FromSeconds(3));

        var announcements = rig.Decoded().Where(p => p.Message.IsResponse).ToList();
        Assert.Equal(2, announcements.Count);
        Assert.True(announcements[0].Time - changed < TimeSpan.FromSeconds(1));
        Assert.Contains(announcements[0].Message.Answers, r => r.Data is TxtData txt && txt.Get("name") == "Living room" && r.CacheFlush);
        Assert.Contains(announcements[0].Message.Answers, r => r.Data is SrvData srv && srv.Port == 5690 && r.CacheFlush);
        Assert.DoesNotContain(rig.Decoded(), p => !p.Message.IsResponse);
    }

    [Fact]
    public void A_new_interface_address_is_announced_again_within_a_second()
    {
        var rig = new ResponderRig();
        rig.Establish();
        rig.Now += TimeSpan.FromSeconds(10);
        var moved = new MdnsInterface(2, "eth0", [IPAddress.Parse("10.0.0.9")]);
        rig.Update(Advertisement(Service()), moved);
        rig.Run(TimeSpan.FromSeconds(1));

        Assert.Contains(rig.Decoded(), p => p.Message.IsResponse &&
            p.Message.Answers.Any(r => r.Data is AddressData a && a.Address.Equals(IPAddress.Parse("10.0.0.9")) && r.CacheFlush));
    }

    [Fact]
    public void A_withdrawn_MTP_gets_a_goodbye_for_its_instance()
    {
        var rig = new ResponderRig();
        rig.Establish();
        rig.Update(Advertisement());

        var goodbye = Assert.Single(rig.Decoded()).Message;
        Assert.All(goodbye.Answers, r => Assert.Equal(0u, r.Ttl));
        Assert.Contains(goodbye.Answers, r => r.Type == DnsRecordType.Srv && r.Name.Equals(InstanceName));
        Assert.DoesNotContain(goodbye.Answers, r => r.Type == DnsRecordType.A);
    }

    [Fact]
    public void An_encrypted_MTP_carries_encrypt_in_its_TXT_record()
    {
        MdnsService plain = AgentAdvertisementSource.Service("m1", EndpointId, null, 5683, "e/x", "n", false, []);
        MdnsService secure = AgentAdvertisementSource.Service("m2", EndpointId, " (port 5684)", 5684, "e/x", "n", true, []);
        Assert.DoesNotContain("encrypt", plain.Txt);
        Assert.Contains("encrypt", secure.Txt);
        Assert.Equal(EndpointId + " (port 5684)", secure.InstanceLabel);
    }

    [Fact]
    public void Subtype_PTRs_point_at_the_instance()
    {
        var rig = new ResponderRig();
        MdnsService service = AgentAdvertisementSource.Service("m1", EndpointId, null, 5683, "e/x", "n", false, ["_gateway"]);
        rig.Establish(service);
        rig.Now += TimeSpan.FromSeconds(5);
        rig.Receive(Query(new DnsQuestion(ServiceType.Prepend("_sub").Prepend("_gateway"), DnsRecordType.Ptr)));
        rig.Run(TimeSpan.FromMilliseconds(200));
        Assert.Equal(InstanceName, ((PtrData)Assert.Single(Assert.Single(rig.Decoded()).Message.Answers).Data).Target);
    }
}

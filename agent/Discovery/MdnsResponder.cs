using System.Net;
using Microsoft.Extensions.Logging;
using Usp.Agent.Discovery.Dns;

namespace Usp.Agent.Discovery;

/// <summary>
/// The RFC 6762 responder as a state machine without sockets or clocks: the transport feeds it datagrams and the
/// time, and sends what <see cref="TakeOutgoing"/> returns. It claims the host name and each service instance name
/// (<see cref="MdnsClaim"/>), answers questions per interface (§6) with the DNS-SD additional records, suppresses
/// known answers (§7.1), answers QU questions and legacy queries by unicast (§5.4, §6.7), multicasts a record at
/// most once a second per interface (§6; 250 ms when defending a probe), resolves conflicts (§8.2, §9) and sends
/// goodbyes (§10.1). Not thread-safe: one caller at a time.
/// </summary>
internal sealed partial class MdnsResponder
{
    public const int MdnsPort = 5353;
    private const string HostKey = "\0host";
    private const int UnicastRepliesPerSecond = 50;
    private const uint LegacyTtl = 10;
    private static readonly TimeSpan RateLimit = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ProbeDefenseRateLimit = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LostTieBreakDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ManyConflictsDelay = TimeSpan.FromSeconds(5);

    private readonly ILogger _logger;
    private readonly Random _random;
    private readonly Dictionary<string, MdnsClaim> _claims = [];
    private readonly Dictionary<(int Interface, DnsRecordKey Record), DateTimeOffset> _lastMulticast = [];
    private readonly List<MdnsOutgoing> _outbox = [];
    private readonly List<PendingResponse> _pending = [];
    private MdnsAdvertisement _advertisement = MdnsAdvertisement.Empty("host");
    private IReadOnlyList<MdnsInterface> _interfaces = [];
    private DateTimeOffset _unicastWindow;
    private int _unicastInWindow;
    private readonly Queue<DateTimeOffset> _recentConflicts = new();

    public MdnsResponder(ILogger logger, Random? random = null)
    {
        _logger = logger;
        _random = random ?? new Random();
    }

    /// <summary>The names in use now (after any rename), for logs and tests.</summary>
    public IEnumerable<(string Key, DnsName Name, ClaimState State)> Claims => _claims.Values.Select(c => (c.Key, c.Name, c.State));

    /// <summary>Sets what to advertise and where; claims new names, re-announces changed records, says goodbye to withdrawn ones.</summary>
    public void Update(MdnsAdvertisement advertisement, IReadOnlyList<MdnsInterface> interfaces, DateTimeOffset now)
    {
        bool interfacesChanged = !interfaces.SequenceEqual(_interfaces);
        MdnsAdvertisement previous = _advertisement;

        // Names claimed together probe together (one packet per interface), after one random 0–250 ms wait (§8.1).
        DateTimeOffset probeStart = now + RandomDelay(0, 250);
        _advertisement = advertisement;
        _interfaces = interfaces;

        if (!_claims.TryGetValue(HostKey, out MdnsClaim? host) || host.BaseLabel != advertisement.HostLabel)
        {
            if (host is not null)
            {
                Withdraw(host, previous);
            }

            host = new MdnsClaim(HostKey, advertisement.HostLabel, MdnsAdvertisement.LocalDomain, isHost: true);
            _claims[HostKey] = host;
            host.StartProbing(probeStart);
        }
        else if (interfacesChanged && host.IsAnswerable)
        {
            host.StartAnnouncing(now);
        }

        foreach (MdnsService gone in previous.Services.Where(s => !advertisement.Services.Any(n => n.Key == s.Key)))
        {
            if (_claims.Remove(gone.Key, out MdnsClaim? claim))
            {
                Withdraw(claim, previous);
            }
        }

        foreach (MdnsService service in advertisement.Services)
        {
            MdnsService? before = previous.Services.FirstOrDefault(s => s.Key == service.Key);
            _claims.TryGetValue(service.Key, out MdnsClaim? claim);
            if (claim is null || before is null || before.InstanceLabel != service.InstanceLabel || before.ServiceType != service.ServiceType)
            {
                if (claim is not null && before is not null)
                {
                    Withdraw(claim, previous);
                }

                claim = new MdnsClaim(service.Key, service.InstanceLabel, MdnsRecords.ServiceType(service), isHost: false);
                _claims[service.Key] = claim;
                claim.StartProbing(probeStart);
            }
            else if ((!service.Equals(before) || interfacesChanged) && claim.IsAnswerable)
            {
                if (!service.Subtypes.SequenceEqual(before.Subtypes))
                {
                    SendGoodbye(SharedRecords(claim, before).Where(r => !SharedRecords(claim, service).Any(n => n.SameRecordAs(r))), interfaces);
                }

                // RFC 6762 §8.4: a changed record is announced again (cache-flush replaces the old data at once).
                claim.StartAnnouncing(now);
            }
        }
    }

    /// <summary>Handles one received datagram; never throws on what the network sends.</summary>
    public void Receive(ReadOnlySpan<byte> datagram, IPEndPoint source, int interfaceIndex, DateTimeOffset now)
    {
        if (!DnsMessageReader.TryRead(datagram, out DnsMessage message) || !message.IsStandard)
        {
            return;
        }

        MdnsInterface? iface = _interfaces.FirstOrDefault(i => i.Index == interfaceIndex);
        if (iface is null)
        {
            return;
        }

        if (message.IsResponse)
        {
            // Responses must come from port 5353 (§11); legacy answers to other ports are not ours to judge.
            if (source.Port == MdnsPort)
            {
                DetectConflicts(message.Answers.Concat(message.Additionals), now);
            }

            return;
        }

        if (message.Authorities.Count > 0)
        {
            CompareSimultaneousProbe(message, now);
        }

        Answer(message, source, iface, now);
    }

    /// <summary>Sends what is due (probes, announcements, delayed answers); returns when to call again.</summary>
    public DateTimeOffset Poll(DateTimeOffset now)
    {
        var probing = _claims.Values.Where(c => c.State == ClaimState.Probing && c.Due <= now).ToList();
        var announcing = _claims.Values.Where(c => c.State == ClaimState.Announcing && c.Due <= now).ToList();
        foreach (MdnsInterface iface in _interfaces)
        {
            if (probing.Count > 0)
            {
                Emit(MdnsPackets.Probe(probing.Select(c => c.Name), probing.SelectMany(c => UniqueRecords(c, iface))), iface.Index, null);
            }

            if (announcing.Count > 0)
            {
                List<DnsRecord> records = [.. announcing.SelectMany(c => RecordsOf(c, iface))];
                Multicast(iface, records, [], now);
            }
        }

        foreach (MdnsClaim claim in probing)
        {
            claim.Advance(now);
        }

        foreach (MdnsClaim claim in announcing)
        {
            claim.Advance(now);
            if (claim.Step == 1)
            {
                LogAnnounced(claim.Name.ToString(), _interfaces.Count);
            }
        }

        for (int i = _pending.Count - 1; i >= 0; i--)
        {
            PendingResponse response = _pending[i];
            if (response.Due <= now)
            {
                _pending.RemoveAt(i);
                if (_interfaces.FirstOrDefault(f => f.Index == response.Interface) is { } iface)
                {
                    Multicast(iface, response.Answers, response.Additionals, now, response.RateLimit);
                }
            }
        }

        DateTimeOffset next = DateTimeOffset.MaxValue;
        foreach (MdnsClaim claim in _claims.Values)
        {
            next = claim.Due < next ? claim.Due : next;
        }

        foreach (PendingResponse response in _pending)
        {
            next = response.Due < next ? response.Due : next;
        }

        return next;
    }

    /// <summary>Goodbye (TTL 0) for every record that went out, on every interface: the agent is stopping.</summary>
    public void Goodbye()
    {
        foreach (MdnsInterface iface in _interfaces)
        {
            SendGoodbye(_claims.Values.Where(c => c.WasAnnounced).SelectMany(c => RecordsOf(c, iface)), [iface]);
        }

        _pending.Clear();
    }

    public IReadOnlyList<MdnsOutgoing> TakeOutgoing()
    {
        MdnsOutgoing[] all = [.. _outbox];
        _outbox.Clear();
        return all;
    }

    private void Withdraw(MdnsClaim claim, MdnsAdvertisement previous)
    {
        if (!claim.WasAnnounced)
        {
            return;
        }

        foreach (MdnsInterface iface in _interfaces)
        {
            SendGoodbye(RecordsOf(claim, iface, previous), [iface]);
        }
    }

    private void SendGoodbye(IEnumerable<DnsRecord> records, IReadOnlyList<MdnsInterface> interfaces)
    {
        List<DnsRecord> goodbye = [.. records.Select(r => r.WithTtl(0))];
        if (goodbye.Count == 0)
        {
            return;
        }

        foreach (MdnsInterface iface in interfaces)
        {
            foreach (byte[] packet in MdnsPackets.Response(goodbye, []))
            {
                Emit(packet, iface.Index, null);
            }
        }
    }

    private void Multicast(MdnsInterface iface, List<DnsRecord> answers, List<DnsRecord> additionals, DateTimeOffset now, TimeSpan? rateLimit = null)
    {
        TimeSpan limit = rateLimit ?? TimeSpan.Zero;
        answers = [.. answers.Where(r => !_lastMulticast.TryGetValue((iface.Index, new DnsRecordKey(r)), out DateTimeOffset last) || now - last >= limit)];
        if (answers.Count == 0)
        {
            return;
        }

        foreach (DnsRecord record in answers)
        {
            _lastMulticast[(iface.Index, new DnsRecordKey(record))] = now;
        }

        foreach (byte[] packet in MdnsPackets.Response(answers, additionals))
        {
            Emit(packet, iface.Index, null);
        }
    }

    private void Emit(byte[] packet, int interfaceIndex, IPEndPoint? destination) => _outbox.Add(new MdnsOutgoing(packet, interfaceIndex, destination));

    private bool TakeUnicastBudget(DateTimeOffset now)
    {
        if (now - _unicastWindow >= TimeSpan.FromSeconds(1))
        {
            _unicastWindow = now;
            _unicastInWindow = 0;
        }

        return ++_unicastInWindow <= UnicastRepliesPerSecond;
    }

    private TimeSpan RandomDelay(int minMs, int maxMs) => TimeSpan.FromMilliseconds(_random.Next(minMs, maxMs + 1));

    /// <summary>Every record of a claimed name on one interface (host: that interface's addresses).</summary>
    private IEnumerable<DnsRecord> RecordsOf(MdnsClaim claim, MdnsInterface iface, MdnsAdvertisement? advertisement = null)
    {
        advertisement ??= _advertisement;
        if (claim.Key == HostKey)
        {
            return MdnsRecords.Host(claim.Name, iface);
        }

        MdnsService? service = advertisement.Services.FirstOrDefault(s => s.Key == claim.Key);
        return service is null || HostName is not { } host
            ? []
            : MdnsRecords.UniqueOfService(claim.Name, host, service).Concat(SharedRecords(claim, service));
    }

    private static IEnumerable<DnsRecord> SharedRecords(MdnsClaim claim, MdnsService service) => MdnsRecords.SharedOfService(claim.Name, service);

    private IEnumerable<DnsRecord> UniqueRecords(MdnsClaim claim, MdnsInterface iface) => RecordsOf(claim, iface).Where(r => r.CacheFlush);

    private DnsName? HostName => _claims.TryGetValue(HostKey, out MdnsClaim? host) ? host.Name : null;

    /// <summary>Records we may give on <paramref name="iface"/> now.</summary>
    private List<DnsRecord> Answerable(MdnsInterface iface) => [.. _claims.Values.Where(c => c.IsAnswerable).SelectMany(c => RecordsOf(c, iface))];

    [LoggerMessage(Level = LogLevel.Information, Message = "mDNS: {Name} announced on {Interfaces} interface(s).")]
    private partial void LogAnnounced(string name, int interfaces);

    /// <summary>A delayed multicast answer (shared records wait 20–120 ms, RFC 6762 §6).</summary>
    private sealed record PendingResponse(int Interface, List<DnsRecord> Answers, List<DnsRecord> Additionals, DateTimeOffset Due, TimeSpan RateLimit);
}

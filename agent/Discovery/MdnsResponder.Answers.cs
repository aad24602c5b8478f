using System.Net;
using Microsoft.Extensions.Logging;
using Usp.Agent.Discovery.Dns;

namespace Usp.Agent.Discovery;

/// <summary>Answering queries and detecting conflicts.</summary>
internal sealed partial class MdnsResponder
{
    private void Answer(DnsMessage query, IPEndPoint source, MdnsInterface iface, DateTimeOffset now)
    {
        if (query.Questions.Count == 0)
        {
            return;
        }

        List<DnsRecord> available = Answerable(iface);
        var answers = new List<DnsRecord>();
        foreach (DnsQuestion question in query.Questions)
        {
            foreach (DnsRecord record in available)
            {
                if (question.IsAnsweredBy(record) && !answers.Contains(record))
                {
                    answers.Add(record);
                }
            }
        }

        // Known-answer suppression (§7.1): the querier already holds it with at least half its TTL left.
        answers.RemoveAll(r => IsKnown(query, r));
        if (answers.Count == 0)
        {
            return;
        }

        List<DnsRecord> additionals = [.. answers.SelectMany(a => MdnsRecords.AdditionalFor(a, available))
            .Distinct()
            .Where(r => !answers.Contains(r) && !IsKnown(query, r))];

        bool legacy = source.Port != MdnsPort;
        if (legacy)
        {
            // §6.7: a one-shot query from another port gets a conventional unicast answer: same ID, the questions
            // repeated, no cache-flush bit, TTL at most 10 s.
            if (TakeUnicastBudget(now))
            {
                foreach (byte[] packet in MdnsPackets.Response(
                    [.. answers.Select(Legacy)], [.. additionals.Select(Legacy)], query.Id, query.Questions))
                {
                    Emit(packet, iface.Index, source);
                }
            }

            return;
        }

        // §5.4: QU questions are answered by unicast when the record was multicast within a quarter of its TTL.
        bool unicast = query.Questions.All(q => q.UnicastResponse) &&
            answers.All(r => _lastMulticast.TryGetValue((iface.Index, new DnsRecordKey(r)), out DateTimeOffset last) && now - last < TimeSpan.FromSeconds(r.Ttl / 4.0));
        if (unicast)
        {
            if (TakeUnicastBudget(now))
            {
                foreach (byte[] packet in MdnsPackets.Response(answers, additionals))
                {
                    Emit(packet, iface.Index, source);
                }
            }

            return;
        }

        bool defendingProbe = query.Authorities.Count > 0;
        TimeSpan limit = defendingProbe ? ProbeDefenseRateLimit : RateLimit;

        // §6: answers of unique records go at once; an answer with shared records waits 20–120 ms so that answers of
        // several responders do not collide, and is merged with other answers due on that interface.
        bool onlyUnique = answers.All(r => r.CacheFlush);
        DateTimeOffset due = onlyUnique ? now : now + RandomDelay(20, 120);
        PendingResponse? waiting = _pending.FirstOrDefault(p => p.Interface == iface.Index);
        if (waiting is not null)
        {
            waiting.Answers.AddRange(answers.Where(a => !waiting.Answers.Contains(a)));
            waiting.Additionals.AddRange(additionals.Where(a => !waiting.Additionals.Contains(a) && !waiting.Answers.Contains(a)));
            return;
        }

        if (onlyUnique)
        {
            Multicast(iface, answers, additionals, now, limit);
        }
        else
        {
            _pending.Add(new PendingResponse(iface.Index, answers, additionals, due, limit));
        }
    }

    private static bool IsKnown(DnsMessage query, DnsRecord record) =>
        query.Answers.Any(known => known.SameRecordAs(record) && known.Ttl >= record.Ttl / 2);

    private static DnsRecord Legacy(DnsRecord record) => record with { CacheFlush = false, Ttl = Math.Min(record.Ttl, LegacyTtl) };

    /// <summary>
    /// §8.1 and §9: a response holding a record of one of our unique names that is not ours. While probing, the name
    /// is taken: rename and probe again. Once announced, probe again under the same name first (§9).
    /// </summary>
    private void DetectConflicts(IEnumerable<DnsRecord> records, DateTimeOffset now)
    {
        foreach (DnsRecord record in records)
        {
            MdnsClaim? claim = _claims.Values.FirstOrDefault(c => c.Name.Equals(record.Name));
            if (claim is null || record.Ttl == 0 || IsOurs(claim, record))
            {
                continue;
            }

            if (claim.State != ClaimState.Probing && !OwnsType(claim, record.Type))
            {
                continue;
            }

            if (claim.State == ClaimState.Probing)
            {
                Rename(claim, now);
            }
            else
            {
                LogConflictRecheck(claim.Name.ToString(), record.ToString());
                claim.StartProbing(now + RandomDelay(0, 250));
            }
        }
    }

    /// <summary>§8.2: another host probes for a name we are probing; the lexicographically later record set wins.</summary>
    private void CompareSimultaneousProbe(DnsMessage probe, DateTimeOffset now)
    {
        foreach (MdnsClaim claim in _claims.Values.Where(c => c.State == ClaimState.Probing))
        {
            List<DnsRecord> theirs = [.. probe.Authorities.Where(r => r.Name.Equals(claim.Name))];
            if (theirs.Count == 0)
            {
                continue;
            }

            List<DnsRecord> ours = [.. _interfaces.SelectMany(i => UniqueRecords(claim, i)).DistinctBy(r => new DnsRecordKey(r))];
            int order = CompareSets(ours, theirs);
            if (order < 0)
            {
                // We lost: wait one second and probe again (the winner's announcement will then make us rename).
                claim.StartProbing(now + LostTieBreakDelay);
            }
        }
    }

    private static int CompareSets(List<DnsRecord> ours, List<DnsRecord> theirs)
    {
        static int Compare(DnsRecord a, DnsRecord b)
        {
            int c = a.Class.CompareTo(b.Class);
            c = c != 0 ? c : ((ushort)a.Type).CompareTo((ushort)b.Type);
            return c != 0 ? c : a.Data.Canonical.SequenceCompareTo(b.Data.Canonical);
        }

        ours.Sort(Compare);
        theirs.Sort(Compare);
        for (int i = 0; i < Math.Min(ours.Count, theirs.Count); i++)
        {
            int c = Compare(ours[i], theirs[i]);
            if (c != 0)
            {
                return c;
            }
        }

        return ours.Count.CompareTo(theirs.Count);
    }

    private void Rename(MdnsClaim claim, DateTimeOffset now)
    {
        _recentConflicts.Enqueue(now);
        while (_recentConflicts.Count > 15 || (_recentConflicts.Count > 0 && now - _recentConflicts.Peek() > TimeSpan.FromSeconds(10)))
        {
            _recentConflicts.Dequeue();
        }

        DnsName old = claim.Rename();
        LogRenamed(claim.Key == HostKey ? "host name" : "service instance name", old.ToString(), claim.Name.ToString());

        // §8.1: after 15 conflicts within 10 s, wait 5 s before probing again.
        claim.StartProbing(now + (_recentConflicts.Count >= 15 ? ManyConflictsDelay : RandomDelay(0, 250)));
        if (claim.Key == HostKey)
        {
            // The SRV records name the host: re-announce the services once the new host name is claimed.
            foreach (MdnsClaim service in _claims.Values.Where(c => c.Key != HostKey && c.IsAnswerable))
            {
                service.StartAnnouncing(claim.Due + (MdnsClaim.ProbeInterval * (MdnsClaim.ProbeCount + 1)));
            }
        }
    }

    /// <summary>Whether <paramref name="record"/> is one we send ourselves (also from another interface of this host).</summary>
    private bool IsOurs(MdnsClaim claim, DnsRecord record) =>
        _interfaces.Any(i => RecordsOf(claim, i).Any(r => r.SameRecordAs(record)));

    private static bool OwnsType(MdnsClaim claim, DnsRecordType type) =>
        claim.Key == HostKey ? type is DnsRecordType.A or DnsRecordType.Aaaa : type is DnsRecordType.Srv or DnsRecordType.Txt;

    [LoggerMessage(Level = LogLevel.Warning, Message = "mDNS: the {What} '{Old}' is already in use on the network; advertising as '{New}' instead.")]
    private partial void LogRenamed(string what, string old, string @new);

    [LoggerMessage(Level = LogLevel.Information, Message = "mDNS: another responder answered for {Name} ({Record}); probing the name again.")]
    private partial void LogConflictRecheck(string name, string record);
}

/// <summary>Identifies a record by name, type, class and data (not TTL) for the per-interface rate limit.</summary>
internal readonly record struct DnsRecordKey
{
    public DnsRecordKey(DnsRecord record)
    {
        Name = record.Name;
        Type = record.Type;
        Data = record.Data;
    }

    public DnsName Name { get; }
    public DnsRecordType Type { get; }
    public DnsRData Data { get; }
}

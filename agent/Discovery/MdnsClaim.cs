using System.Text;
using Usp.Agent.Discovery.Dns;

namespace Usp.Agent.Discovery;

/// <summary>Where a claimed name is in RFC 6762 §8: probing, announcing, or established (answering and defending).</summary>
internal enum ClaimState
{
    Probing,
    Announcing,
    Established,
}

/// <summary>
/// One unique name the responder claims: the host name or a service instance name. It probes three times 250 ms
/// apart (§8.1), then announces twice 1 s apart (§8.3); on a conflict while probing it takes the next name
/// ("Agent (2)", "host-2") and probes again.
/// </summary>
internal sealed class MdnsClaim
{
    public const int ProbeCount = 3;
    public const int AnnounceCount = 2;
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan AnnounceInterval = TimeSpan.FromSeconds(1);

    private readonly bool _isHost;

    public MdnsClaim(string key, string baseLabel, DnsName suffix, bool isHost)
    {
        Key = key;
        BaseLabel = baseLabel;
        Suffix = suffix;
        _isHost = isHost;
        Name = Compose(1);
    }

    /// <summary>"host", or the service's key (the MTP it stands for).</summary>
    public string Key { get; }

    /// <summary>The label asked for; <see cref="Name"/> differs from it after a rename.</summary>
    public string BaseLabel { get; }

    public DnsName Suffix { get; }

    public DnsName Name { get; private set; }

    public int Attempt { get; private set; } = 1;

    public ClaimState State { get; private set; } = ClaimState.Probing;

    /// <summary>Probes or announcements sent in the current state.</summary>
    public int Step { get; private set; }

    public DateTimeOffset Due { get; private set; }

    /// <summary>Whether records of this name may be given in answers (not while probing, §8.1).</summary>
    public bool IsAnswerable => State != ClaimState.Probing;

    /// <summary>Whether the records have gone out at least once (and so need a goodbye when withdrawn).</summary>
    public bool WasAnnounced { get; private set; }

    public void StartProbing(DateTimeOffset due)
    {
        State = ClaimState.Probing;
        Step = 0;
        Due = due;
    }

    public void StartAnnouncing(DateTimeOffset due)
    {
        State = ClaimState.Announcing;
        Step = 0;
        Due = due;
    }

    /// <summary>Moves on after a probe or an announcement went out at <paramref name="now"/>.</summary>
    public void Advance(DateTimeOffset now)
    {
        Step++;
        if (State == ClaimState.Probing)
        {
            // After the third probe, one more interval with no conflict claims the name.
            if (Step >= ProbeCount)
            {
                StartAnnouncing(now + ProbeInterval);
            }
            else
            {
                Due = now + ProbeInterval;
            }

            return;
        }

        WasAnnounced = true;
        if (Step >= AnnounceCount)
        {
            State = ClaimState.Established;
            Due = DateTimeOffset.MaxValue;
        }
        else
        {
            Due = now + AnnounceInterval;
        }
    }

    /// <summary>Takes the next candidate name after a conflict; returns the name given up.</summary>
    public DnsName Rename()
    {
        DnsName old = Name;
        Attempt++;
        Name = Compose(Attempt);
        WasAnnounced = false;
        return old;
    }

    private DnsName Compose(int attempt)
    {
        string suffix = attempt == 1 ? "" : _isHost ? $"-{attempt}" : $" ({attempt})";
        string label = Fit(BaseLabel, DnsName.MaxLabelLength - Encoding.UTF8.GetByteCount(suffix)) + suffix;
        return Suffix.Prepend(label);
    }

    /// <summary>The longest prefix of <paramref name="label"/> within <paramref name="maxBytes"/> bytes of UTF-8, not splitting a character.</summary>
    public static string Fit(string label, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(label) <= maxBytes)
        {
            return label;
        }

        int length = label.Length;
        while (length > 0 && Encoding.UTF8.GetByteCount(label.AsSpan(0, length)) > maxBytes)
        {
            length--;
        }

        if (length > 0 && char.IsHighSurrogate(label[length - 1]))
        {
            length--;
        }

        return label[..length];
    }
}

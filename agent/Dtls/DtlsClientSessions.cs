using System.Net;
using Org.BouncyCastle.Tls;

namespace Usp.Agent.Dtls;

/// <summary>
/// The client side's memory per server: the session to offer for resumption (with the identity it proved), and a
/// bounded reconnect back-off after failed handshakes. Capped: the least recently stored entry goes first.
/// </summary>
internal sealed class DtlsClientSessions(int capacity)
{
    private static readonly TimeSpan FirstBackOff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackOff = TimeSpan.FromSeconds(60);
    private readonly Dictionary<IPEndPoint, (TlsSession Session, DtlsPeerIdentity Identity)> _resumable = [];
    private readonly Queue<IPEndPoint> _order = new();
    private readonly Dictionary<IPEndPoint, (DateTime Until, TimeSpan Delay)> _failures = [];

    public (TlsSession Session, DtlsPeerIdentity Identity)? Resumable(IPEndPoint peer)
    {
        lock (_resumable)
        {
            return _resumable.TryGetValue(peer, out var entry) && entry.Session.IsResumable ? entry : null;
        }
    }

    public void Remember(IPEndPoint peer, TlsSession session, DtlsPeerIdentity identity)
    {
        lock (_resumable)
        {
            if (!_resumable.ContainsKey(peer))
            {
                _order.Enqueue(peer);
                while (_order.Count > capacity && _order.TryDequeue(out IPEndPoint? oldest))
                {
                    _resumable.Remove(oldest);
                }
            }

            _resumable[peer] = (session, identity);
        }
    }

    public DateTime? BackOff(IPEndPoint peer)
    {
        lock (_resumable)
        {
            return _failures.TryGetValue(peer, out var failure) && failure.Until > DateTime.UtcNow ? failure.Until : null;
        }
    }

    public void Failed(IPEndPoint peer, bool forgetResumption)
    {
        lock (_resumable)
        {
            if (forgetResumption)
            {
                _resumable.Remove(peer);
            }

            TimeSpan delay = _failures.TryGetValue(peer, out var failure) ? TimeSpan.FromTicks(Math.Min(failure.Delay.Ticks * 2, MaxBackOff.Ticks)) : FirstBackOff;
            if (_failures.Count >= capacity && !_failures.ContainsKey(peer))
            {
                _failures.Clear();
            }

            _failures[peer] = (DateTime.UtcNow + delay, delay);
        }
    }

    public void Succeeded(IPEndPoint peer)
    {
        lock (_resumable)
        {
            _failures.Remove(peer);
        }
    }
}

using System.Net;

namespace Usp.Agent.Coap;

/// <summary>
/// Server side of RFC 7959 Block2: keeps a large response body per (peer, request) so follow-up block
/// requests are served without running the handler again. Bounded in count and lifetime.
/// </summary>
internal sealed class Block2ResponseCache(CoapEndpointOptions options)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(IPEndPoint Peer, string Key), Entry> _entries = [];

    public void Store(IPEndPoint peer, string key, CoapMessage response, DateTimeOffset now)
    {
        lock (_gate)
        {
            Purge(now);
            if (_entries.Count >= options.MaxConcurrentReassemblies)
            {
                var oldest = _entries.MinBy(e => e.Value.Expires).Key;
                _entries.Remove(oldest);
            }
            _entries[(peer, key)] = new Entry(response, now + options.ExchangeLifetime);
        }
    }

    public bool TryGet(IPEndPoint peer, string key, DateTimeOffset now, out CoapMessage response)
    {
        lock (_gate)
        {
            Purge(now);
            if (_entries.TryGetValue((peer, key), out var entry))
            {
                response = entry.Response;
                return true;
            }
            response = null!;
            return false;
        }
    }

    public void Remove(IPEndPoint peer, string key)
    {
        lock (_gate)
        {
            _entries.Remove((peer, key));
        }
    }

    private void Purge(DateTimeOffset now)
    {
        List<(IPEndPoint, string)>? expired = null;
        foreach (var (id, entry) in _entries)
        {
            if (entry.Expires <= now)
            {
                (expired ??= []).Add(id);
            }
        }
        expired?.ForEach(id => _entries.Remove(id));
    }

    private sealed record Entry(CoapMessage Response, DateTimeOffset Expires);
}

using System.Buffers;
using System.Net;

namespace Usp.Agent.Coap;

internal enum Block1Outcome
{
    Continue,
    Complete,
    Incomplete,
    TooLarge,
    Busy,
    BadBlock,
}

/// <summary>
/// Server side of RFC 7959 Block1: reassembles request bodies per (peer, request) in order, within the
/// size cap and the per-peer and global limits on concurrent transfers; stale transfers expire.
/// </summary>
internal sealed class Block1Reassembler(CoapEndpointOptions options)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(IPEndPoint Peer, string Key), Upload> _uploads = [];

    public int ActiveCount
    {
        get
        {
            lock (_gate)
            {
                return _uploads.Count;
            }
        }
    }

    public Block1Outcome Accept(IPEndPoint peer, string key, CoapBlockOption block, ReadOnlySpan<byte> payload, uint? size1,
        DateTimeOffset now, out ReadOnlyMemory<byte> body)
    {
        body = default;
        lock (_gate)
        {
            Purge(now);
            var id = (peer, key);
            if (size1 > (uint)options.MaxReassembledSize)
            {
                _uploads.Remove(id);
                return Block1Outcome.TooLarge;
            }
            if (block.More && payload.Length != block.Size)
            {
                // Every block but the last carries exactly the block size (RFC 7959 §2.2).
                _uploads.Remove(id);
                return Block1Outcome.BadBlock;
            }
            if (block.Number == 0)
            {
                _uploads.Remove(id);
                if (!block.More)
                {
                    body = payload.ToArray();
                    return payload.Length > options.MaxReassembledSize ? Block1Outcome.TooLarge : Block1Outcome.Complete;
                }
                if (_uploads.Count >= options.MaxConcurrentReassemblies || CountFor(peer) >= options.MaxConcurrentReassembliesPerPeer)
                {
                    return Block1Outcome.Busy;
                }
                int initial = (int)Math.Min(size1 ?? (uint)(payload.Length * 4), (uint)options.MaxReassembledSize);
                _uploads[id] = new Upload(Math.Max(initial, payload.Length));
            }
            if (!_uploads.TryGetValue(id, out var upload) || upload.Buffer.WrittenCount != block.Offset)
            {
                _uploads.Remove(id);
                return Block1Outcome.Incomplete;
            }
            if (upload.Buffer.WrittenCount + payload.Length > options.MaxReassembledSize)
            {
                _uploads.Remove(id);
                return Block1Outcome.TooLarge;
            }
            upload.Buffer.Write(payload);
            upload.Expires = now + options.ExchangeLifetime;
            if (block.More)
            {
                return Block1Outcome.Continue;
            }
            _uploads.Remove(id);
            body = upload.Buffer.WrittenMemory;
            return Block1Outcome.Complete;
        }
    }

    private int CountFor(IPEndPoint peer)
    {
        int count = 0;
        foreach (var id in _uploads.Keys)
        {
            if (id.Peer.Equals(peer))
            {
                count++;
            }
        }
        return count;
    }

    private void Purge(DateTimeOffset now)
    {
        List<(IPEndPoint, string)>? expired = null;
        foreach (var (id, upload) in _uploads)
        {
            if (upload.Expires <= now)
            {
                (expired ??= []).Add(id);
            }
        }
        expired?.ForEach(id => _uploads.Remove(id));
    }

    private sealed class Upload(int capacity)
    {
        public ArrayBufferWriter<byte> Buffer { get; } = new(Math.Max(capacity, 16));
        public DateTimeOffset Expires { get; set; }
    }
}

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

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
/// size cap, the per-peer and global limits on concurrent transfers and a global byte budget; stale
/// transfers expire EXCHANGE_LIFETIME after their last block, on a timer armed only while a transfer is open, so an
/// upload that never finishes frees its buffer even when no other Block1 request comes.
/// </summary>
internal sealed class Block1Reassembler(CoapEndpointOptions options, TimeProvider time)
{
    /// <summary>A Size1 announcement alone never reserves more than this; buffers grow with real data.</summary>
    private const int MaxInitialCapacity = 64 * 1024;

    private readonly Lock _gate = new();
    private readonly Dictionary<(IPEndPoint Peer, string Key), Upload> _uploads = [];
    private long _bufferedBytes;
    private ITimer? _expiry;

    internal long BufferedBytes
    {
        get
        {
            lock (_gate)
            {
                return _bufferedBytes;
            }
        }
    }

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
                Drop(id);
                return Block1Outcome.TooLarge;
            }
            if (block.More && payload.Length != block.Size)
            {
                // Every block but the last carries exactly the block size (RFC 7959 §2.2).
                Drop(id);
                return Block1Outcome.BadBlock;
            }
            if (block.Number == 0)
            {
                Drop(id);
                if (!block.More)
                {
                    body = payload.ToArray();
                    return payload.Length > options.MaxReassembledSize ? Block1Outcome.TooLarge : Block1Outcome.Complete;
                }
                if (_uploads.Count >= options.MaxConcurrentReassemblies || CountFor(peer) >= options.MaxConcurrentReassembliesPerPeer)
                {
                    return Block1Outcome.Busy;
                }
                long initial = Math.Min(size1 ?? (uint)(payload.Length * 4), (uint)Math.Min(options.MaxReassembledSize, MaxInitialCapacity));
                _uploads[id] = new Upload((int)Math.Max(initial, payload.Length));
            }
            if (!_uploads.TryGetValue(id, out var upload) || upload.Buffer.WrittenCount != block.Offset)
            {
                Drop(id);
                return Block1Outcome.Incomplete;
            }
            if (upload.Buffer.WrittenCount + payload.Length > options.MaxReassembledSize)
            {
                Drop(id);
                return Block1Outcome.TooLarge;
            }
            if (_bufferedBytes + payload.Length > options.MaxTotalReassemblyBytes)
            {
                Drop(id);
                return Block1Outcome.Busy;
            }
            upload.Buffer.Write(payload);
            _bufferedBytes += payload.Length;
            upload.Expires = now + options.ExchangeLifetime;
            if (block.More)
            {
                _expiry ??= time.CreateTimer(static state => ((Block1Reassembler)state!).Expire(), this, options.ExchangeLifetime, Timeout.InfiniteTimeSpan);
                return Block1Outcome.Continue;
            }
            Drop(id);
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

    /// <summary>The expiry timer: drops the stale transfers, then waits for the next one to fall due, or ends.</summary>
    private void Expire()
    {
        lock (_gate)
        {
            _expiry?.Dispose();
            _expiry = null;
            DateTimeOffset now = time.GetUtcNow();
            Purge(now);
            if (_uploads.Count > 0)
            {
                TimeSpan due = _uploads.Values.Min(u => u.Expires) - now;
                _expiry = time.CreateTimer(static state => ((Block1Reassembler)state!).Expire(), this, due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }
        }
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
        expired?.ForEach(Drop);
    }

    private void Drop((IPEndPoint, string) id)
    {
        if (_uploads.Remove(id, out var upload))
        {
            _bufferedBytes -= upload.Buffer.WrittenCount;
        }
    }

    private sealed class Upload(int capacity)
    {
        public ArrayBufferWriter<byte> Buffer { get; } = new(Math.Max(capacity, 16));
        public DateTimeOffset Expires { get; set; }
    }
}

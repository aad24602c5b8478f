namespace Usp.Agent.Coap;

/// <summary>
/// The server side of RFC 7959 for one endpoint: reads a request's Block1/Block2 options, reassembles Block1
/// request bodies (<see cref="Block1Reassembler"/>), answers follow-up Block2 requests from the cached body
/// (<see cref="Block2ResponseCache"/>) and slices a large response into Block2 blocks. The server only asks it.
/// </summary>
internal sealed class BlockwiseServer(CoapEndpointOptions options, TimeProvider time)
{
    private readonly Block1Reassembler _block1 = new(options, time);
    private readonly Block2ResponseCache _block2 = new(options);

    public int ActiveBlock1Transfers => _block1.ActiveCount;

    public long BufferedBlock1Bytes => _block1.BufferedBytes;

    /// <summary>The block options of a request, and what tells its transfer from the peer's others; false when an option is malformed.</summary>
    public static bool TryRead(CoapMessage request, CoapPeer peer, CoapMethod method, string path, List<string> query, out BlockwiseRequest blockwise)
    {
        blockwise = default;
        if (!TryReadBlock(request, CoapOptionNumber.Block2, out var block2) || !TryReadBlock(request, CoapOptionNumber.Block1, out var block1))
        {
            return false;
        }
        blockwise = new BlockwiseRequest(peer, method, path, query, block1, block2);
        return true;
    }

    /// <summary>A follow-up Block2 request served from the cached response; null when it is not one.</summary>
    public CoapMessage? CachedBlock(in BlockwiseRequest request, DateTimeOffset now)
    {
        if (request.Block2 is { Number: > 0 } follow && request.Block1 is null && _block2.TryGet(request.Peer.EndPoint, request.TransferKey, now, out var cached))
        {
            return SliceBlock(cached, follow.Number, Math.Min(follow.SizeExponent, options.PreferredSizeExponent));
        }
        return null;
    }

    /// <summary>
    /// The whole request body in <paramref name="body"/> and null, or the response to send now: 2.31 Continue for a
    /// block that is not the last, or the error that ends the transfer (4.08, 4.13, 5.03, 4.00).
    /// </summary>
    public CoapMessage? Reassemble(in BlockwiseRequest request, CoapMessage message, DateTimeOffset now, out ReadOnlyMemory<byte> body)
    {
        body = message.Payload;
        uint? size1 = message.TryGetUInt(CoapOptionNumber.Size1, out uint s1) ? s1 : null;
        if (request.Block1 is not { } b1)
        {
            return size1 > (uint)options.MaxReassembledSize || body.Length > options.MaxReassembledSize ? TooLarge() : null;
        }
        var outcome = _block1.Accept(request.Peer.EndPoint, request.TransferKey, b1, message.Payload.Span, size1, now, out body);
        switch (outcome)
        {
            case Block1Outcome.Continue:
                var next = new CoapMessage { Code = CoapCode.Continue };
                next.Block1 = new CoapBlockOption(b1.Number, true, Math.Min(b1.SizeExponent, options.PreferredSizeExponent));
                return next;
            case Block1Outcome.Incomplete:
                return CoapResponses.Error(CoapCode.RequestEntityIncomplete, "Blocks missing or out of order");
            case Block1Outcome.TooLarge:
                return TooLarge();
            case Block1Outcome.Busy:
                return CoapResponses.Error(CoapCode.ServiceUnavailable, "Too many block-wise transfers in progress");
            case Block1Outcome.BadBlock:
                return CoapResponses.Error(CoapCode.BadRequest, "Block size does not match SZX");
            default:
                return null;
        }
    }

    /// <summary>The response as sent: with the final Block1 acknowledged, and as its first (or requested) Block2 block when large.</summary>
    public CoapMessage Shape(CoapMessage response, in BlockwiseRequest request, DateTimeOffset now)
    {
        if (request.Block1 is { } last)
        {
            response.Block1 = new CoapBlockOption(last.Number, false, Math.Min(last.SizeExponent, options.PreferredSizeExponent));
        }
        CoapBlockOption? requested = request.Block2;
        int szx = Math.Min(requested?.SizeExponent ?? 6, options.PreferredSizeExponent);
        uint number = requested?.Number ?? 0;
        if (requested is null && response.Payload.Length <= 1 << (szx + 4))
        {
            return response;
        }
        if (response.Payload.Length > 1 << (szx + 4))
        {
            _block2.Store(request.Peer.EndPoint, request.TransferKey, response, now);
        }
        return SliceBlock(response, number, szx);
    }

    private CoapMessage TooLarge()
    {
        var response = CoapResponses.Error(CoapCode.RequestEntityTooLarge, "Request body too large");
        response.SetUIntOption(CoapOptionNumber.Size1, (uint)options.MaxReassembledSize);
        return response;
    }

    private static bool TryReadBlock(CoapMessage request, ushort number, out CoapBlockOption? block)
    {
        block = null;
        if (!request.TryGetUInt(number, out uint raw))
        {
            return true;
        }
        if (!CoapBlockOption.TryDecode(raw, out var decoded))
        {
            return false;
        }
        block = decoded;
        return true;
    }

    private static CoapMessage SliceBlock(CoapMessage full, uint number, int szx)
    {
        int size = 1 << (szx + 4);
        long offset = (long)number * size;
        int length = full.Payload.Length;
        if (offset > length || (offset == length && length > 0))
        {
            return CoapResponses.Error(CoapCode.BadOption, "Block number out of range");
        }
        var block = new CoapMessage { Code = full.Code };
        foreach (var option in full.Options)
        {
            if (option.Number is not (CoapOptionNumber.Block2 or CoapOptionNumber.Size2))
            {
                block.AddOption(option);
            }
        }
        int take = (int)Math.Min(size, length - offset);
        block.Payload = full.Payload.Slice((int)offset, take);
        block.Block2 = new CoapBlockOption(number, offset + take < length, szx);
        if (number == 0)
        {
            block.SetUIntOption(CoapOptionNumber.Size2, (uint)length);
        }
        return block;
    }
}

/// <summary>One request as the block-wise layer sees it.</summary>
internal readonly record struct BlockwiseRequest(CoapPeer Peer, CoapMethod Method, string Path, List<string> Query, CoapBlockOption? Block1, CoapBlockOption? Block2)
{
    /// <summary>What tells one block-wise transfer of a peer from another; built only for a request that has a block to match.</summary>
    public string TransferKey => $"{(int)Method} {Path}?{string.Join('&', Query)}";
}

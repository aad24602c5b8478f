using System.Net;
using System.Text;

namespace Usp.Agent.Coap;

/// <summary>
/// CoAP server: dispatches requests by Uri-Path to registered resources, serves /.well-known/core,
/// reassembles Block1 request bodies and splits large responses into Block2 blocks.
/// </summary>
public sealed class CoapServer
{
    private readonly CoapEndpoint _endpoint;
    private readonly Block1Reassembler _block1;
    private readonly Block2ResponseCache _block2;
    private readonly Lock _gate = new();
    private volatile Dictionary<string, CoapResource> _resources = new(StringComparer.Ordinal);

    /// <summary>Serves requests arriving at <paramref name="endpoint"/>; the same endpoint can also carry a <see cref="CoapClient"/>.</summary>
    public CoapServer(CoapEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        _endpoint = endpoint;
        _block1 = new Block1Reassembler(endpoint.Options);
        _block2 = new Block2ResponseCache(endpoint.Options);
        endpoint.SetRequestHandler(HandleAsync);
    }

    public CoapEndpoint Endpoint => _endpoint;

    public IPEndPoint LocalEndPoint => _endpoint.LocalEndPoint;

    public IReadOnlyCollection<CoapResource> Resources => _resources.Values;

    public bool HasResource(string path) => _resources.ContainsKey(CoapResource.NormalizePath(path));

    internal int ActiveBlock1Transfers => _block1.ActiveCount;

    internal long BufferedBlock1Bytes => _block1.BufferedBytes;

    /// <summary>Adds a resource, replacing any resource with the same path.</summary>
    public void AddResource(CoapResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        lock (_gate)
        {
            _resources = new Dictionary<string, CoapResource>(_resources, StringComparer.Ordinal) { [resource.Path] = resource };
        }
    }

    public bool RemoveResource(string path)
    {
        lock (_gate)
        {
            var copy = new Dictionary<string, CoapResource>(_resources, StringComparer.Ordinal);
            bool removed = copy.Remove(CoapResource.NormalizePath(path));
            _resources = copy;
            return removed;
        }
    }

    internal async ValueTask<CoapMessage> HandleAsync(CoapMessage request, CoapPeer peer, CancellationToken cancellationToken)
    {
        var now = _endpoint.TimeProvider.GetUtcNow();
        var method = (CoapMethod)request.Code.Value;
        string path = request.UriPath;
        var query = request.GetStrings(CoapOptionNumber.UriQuery);

        if (!TryReadBlock(request, CoapOptionNumber.Block2, out var block2) || !TryReadBlock(request, CoapOptionNumber.Block1, out var block1))
        {
            return CoapResponses.Error(CoapCode.BadRequest, "Invalid block option");
        }
        if (block2 is { Number: > 0 } follow && block1 is null && _block2.TryGet(peer.EndPoint, TransferKey(method, path, query), now, out var cached))
        {
            return SliceBlock(cached, follow.Number, Math.Min(follow.SizeExponent, _endpoint.Options.PreferredSizeExponent));
        }

        if (request.HasOption(CoapOptionNumber.ProxyUri) || request.HasOption(CoapOptionNumber.ProxyScheme))
        {
            return CoapResponses.Error(CoapCode.ProxyingNotSupported, "This server is not a proxy");
        }
        if (path == CoapLinkFormat.WellKnownCorePath)
        {
            if (method != CoapMethod.Get)
            {
                return CoapResponses.Error(CoapCode.MethodNotAllowed, "Only GET is allowed here");
            }
            var links = new CoapMessage
            {
                Code = CoapCode.Content,
                Payload = Encoding.UTF8.GetBytes(CoapLinkFormat.Render(_resources.Values, query)),
                ContentFormat = CoapContentFormat.LinkFormat,
            };
            return ShapeBlock2(links, block2, peer, method, path, query, now);
        }

        if (!_resources.TryGetValue(path, out var resource))
        {
            return CoapResponses.Error(CoapCode.NotFound, $"No resource at /{path}");
        }
        if (resource.AllowedMethods is { } allowed && !allowed.Contains(method))
        {
            return CoapResponses.Error(CoapCode.MethodNotAllowed, $"{method} is not allowed on /{path}");
        }
        bool hasBody = !request.Payload.IsEmpty || block1 is not null;
        if (hasBody && resource.AcceptedContentFormats is { } formats &&
            (request.ContentFormat is not { } format || !formats.Contains(format)))
        {
            return CoapResponses.Error(CoapCode.UnsupportedContentFormat, "Unsupported Content-Format");
        }

        ReadOnlyMemory<byte> body = request.Payload;
        uint? size1 = request.TryGetUInt(CoapOptionNumber.Size1, out uint s1) ? s1 : null;
        if (block1 is { } b1)
        {
            var outcome = _block1.Accept(peer.EndPoint, TransferKey(method, path, query), b1, request.Payload.Span, size1, now, out body);
            int szx = Math.Min(b1.SizeExponent, _endpoint.Options.PreferredSizeExponent);
            switch (outcome)
            {
                case Block1Outcome.Continue:
                    var next = new CoapMessage { Code = CoapCode.Continue };
                    next.Block1 = new CoapBlockOption(b1.Number, true, szx);
                    return next;
                case Block1Outcome.Incomplete:
                    return CoapResponses.Error(CoapCode.RequestEntityIncomplete, "Blocks missing or out of order");
                case Block1Outcome.TooLarge:
                    return TooLarge();
                case Block1Outcome.Busy:
                    return CoapResponses.Error(CoapCode.ServiceUnavailable, "Too many block-wise transfers in progress");
                case Block1Outcome.BadBlock:
                    return CoapResponses.Error(CoapCode.BadRequest, "Block size does not match SZX");
            }
        }
        else if (size1 > (uint)_endpoint.Options.MaxReassembledSize || body.Length > _endpoint.Options.MaxReassembledSize)
        {
            return TooLarge();
        }

        CoapResponse result;
        try
        {
            var context = new CoapRequestContext(request, peer, resource, body, query);
            result = _endpoint.Options.RunHandlersInline
                ? await resource.Handler(context, cancellationToken).ConfigureAwait(false)
                : await Task.Run(() => resource.Handler(context, cancellationToken).AsTask(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _endpoint.Options.Log?.Invoke($"coap: handler for /{path} failed: {e}");
            return CoapResponses.Error(CoapCode.InternalServerError, "Internal server error");
        }
        if (request.TryGetUInt(CoapOptionNumber.Accept, out uint accept) && result.Code.IsSuccess &&
            result.ContentFormat is { } produced && produced != accept)
        {
            return CoapResponses.Error(CoapCode.NotAcceptable, $"Only Content-Format {produced} is available");
        }
        var response = result.ToMessage();
        if (block1 is { } last)
        {
            response.Block1 = new CoapBlockOption(last.Number, false, Math.Min(last.SizeExponent, _endpoint.Options.PreferredSizeExponent));
        }
        return ShapeBlock2(response, block2, peer, method, path, query, now);
    }

    private CoapMessage TooLarge()
    {
        var response = CoapResponses.Error(CoapCode.RequestEntityTooLarge, "Request body too large");
        response.SetUIntOption(CoapOptionNumber.Size1, (uint)_endpoint.Options.MaxReassembledSize);
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

    /// <summary>What tells one block-wise transfer of a peer from another; built only for a request that has a block to match.</summary>
    private static string TransferKey(CoapMethod method, string path, List<string> query) => $"{(int)method} {path}?{string.Join('&', query)}";

    private CoapMessage ShapeBlock2(CoapMessage response, CoapBlockOption? requested, CoapPeer peer, CoapMethod method, string path, List<string> query, DateTimeOffset now)
    {
        int szx = Math.Min(requested?.SizeExponent ?? 6, _endpoint.Options.PreferredSizeExponent);
        uint number = requested?.Number ?? 0;
        if (requested is null && response.Payload.Length <= 1 << (szx + 4))
        {
            return response;
        }
        if (response.Payload.Length > 1 << (szx + 4))
        {
            _block2.Store(peer.EndPoint, TransferKey(method, path, query), response, now);
        }
        return SliceBlock(response, number, szx);
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

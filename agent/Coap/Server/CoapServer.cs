using System.Net;
using System.Text;

namespace Usp.Agent.Coap;

/// <summary>
/// CoAP server: dispatches requests by Uri-Path to registered resources (which refuse the methods and
/// Content-Formats they do not take), serves /.well-known/core, and leaves Block1 reassembly and Block2 slicing
/// to the <see cref="BlockwiseServer"/>.
/// </summary>
public sealed class CoapServer
{
    private readonly CoapEndpoint _endpoint;
    private readonly BlockwiseServer _blockwise;
    private readonly Lock _gate = new();
    private volatile Dictionary<string, CoapResource> _resources = new(StringComparer.Ordinal);

    /// <summary>Serves requests arriving at <paramref name="endpoint"/>; the same endpoint can also carry a <see cref="CoapClient"/>.</summary>
    public CoapServer(CoapEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        _endpoint = endpoint;
        _blockwise = new BlockwiseServer(endpoint.Options, endpoint.TimeProvider);
        endpoint.SetRequestHandler(HandleAsync);
    }

    public CoapEndpoint Endpoint => _endpoint;

    public IPEndPoint LocalEndPoint => _endpoint.LocalEndPoint;

    public IReadOnlyCollection<CoapResource> Resources => _resources.Values;

    public bool HasResource(string path) => _resources.ContainsKey(CoapResource.NormalizePath(path));

    internal int ActiveBlock1Transfers => _blockwise.ActiveBlock1Transfers;

    internal long BufferedBlock1Bytes => _blockwise.BufferedBlock1Bytes;

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

        if (!BlockwiseServer.TryRead(request, peer, method, path, query, out var blockwise))
        {
            return CoapResponses.Error(CoapCode.BadRequest, "Invalid block option");
        }
        if (_blockwise.CachedBlock(blockwise, now) is { } cached)
        {
            return cached;
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
            return _blockwise.Shape(links, blockwise, now);
        }

        if (!_resources.TryGetValue(path, out var resource))
        {
            return CoapResponses.Error(CoapCode.NotFound, $"No resource at /{path}");
        }
        if (resource.Refuse(method, request, blockwise.Block1 is not null) is { } refusal)
        {
            return refusal;
        }
        if (_blockwise.Reassemble(blockwise, request, now, out var body) is { } interim)
        {
            return interim;
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
        return _blockwise.Shape(result.ToMessage(), blockwise, now);
    }
}

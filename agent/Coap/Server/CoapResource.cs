namespace Usp.Agent.Coap;

/// <summary>Handles a complete (reassembled) request to one resource.</summary>
public delegate ValueTask<CoapResponse> CoapResourceHandler(CoapRequestContext request, CancellationToken cancellationToken);

/// <summary>A resource the server dispatches to by Uri-Path, with RFC 6690 link attributes for discovery.</summary>
public sealed class CoapResource
{
    public CoapResource(string path, CoapResourceHandler handler)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(handler);
        Path = NormalizePath(path);
        Handler = handler;
    }

    /// <summary>Segments joined by '/', without leading or trailing slash.</summary>
    public string Path { get; }

    public CoapResourceHandler Handler { get; }

    /// <summary>Link attributes published in /.well-known/core, e.g. rt="bbf.usp.endpoint";if="bbf.usp.a";ct=42.</summary>
    public IReadOnlyList<CoapLinkAttribute> Attributes { get; init; } = [];

    /// <summary>Methods the resource accepts; others get 4.05. Null accepts all.</summary>
    public IReadOnlySet<CoapMethod>? AllowedMethods { get; init; }

    /// <summary>Content-Formats accepted for a request body; another (or none) gets 4.15. Null accepts any.</summary>
    public IReadOnlySet<ushort>? AcceptedContentFormats { get; init; }

    /// <summary>Listed in /.well-known/core unless false.</summary>
    public bool Discoverable { get; init; } = true;

    /// <summary>Trims leading and trailing slashes: the form paths are registered and matched in.</summary>
    public static string NormalizePath(string path) => path.Trim('/');

    private static string Name(CoapMethod method) => method.ToString().ToUpperInvariant();

    /// <summary>4.05 for a method the resource does not take, 4.15 for a body in a Content-Format it does not accept; null when neither.</summary>
    internal CoapMessage? Refuse(CoapMethod method, CoapMessage request, bool blockwiseBody)
    {
        if (AllowedMethods is { } allowed && !allowed.Contains(method))
        {
            return CoapResponses.Error(CoapCode.MethodNotAllowed, $"{Name(method)} is not allowed on /{Path} (allowed: {string.Join(", ", allowed.Order().Select(Name))})");
        }
        bool hasBody = !request.Payload.IsEmpty || blockwiseBody;
        if (hasBody && AcceptedContentFormats is { } formats && (request.ContentFormat is not { } format || !formats.Contains(format)))
        {
            string given = request.ContentFormat is { } f ? $"Content-Format {f}" : "no Content-Format";
            return CoapResponses.Error(CoapCode.UnsupportedContentFormat, $"Unsupported Content-Format: {given} on /{Path} (accepted: Content-Format {string.Join(", ", formats.Order())})");
        }
        return null;
    }
}

using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace Usp.Agent.Mtp.Coap;

/// <summary>Which of the two reply-to spellings a Controller used; we answer in the same one.</summary>
internal enum ReplyToForm
{
    /// <summary>USP 1.0/1.1 (the seed binding, R-COAP.2): <c>host:port/path</c>.</summary>
    HostPortPath,

    /// <summary>USP 1.2+ (R-COAP.2 as revised): <c>coap://host:port/path</c> or <c>coaps://…</c>.</summary>
    Uri,
}

/// <summary>
/// The CoAP server of a USP Endpoint, as carried in the <c>reply-to</c> Uri-Query option of a USP CoAP
/// request: where Records for that Endpoint are POSTed.
/// </summary>
internal sealed record ReplyTo(string Host, int Port, string Path, bool Secure, ReplyToForm Form)
{
    public const string QueryKey = "reply-to=";
    public const int CoapDefaultPort = 5683;
    public const int CoapsDefaultPort = 5684;

    /// <summary>Finds and parses the reply-to among a request's Uri-Query values.</summary>
    public static bool TryFind(IEnumerable<string> uriQueries, [NotNullWhen(true)] out ReplyTo? replyTo, out string error)
    {
        foreach (string query in uriQueries)
        {
            if (query.StartsWith(QueryKey, StringComparison.Ordinal))
            {
                return TryParse(query[QueryKey.Length..], out replyTo, out error);
            }
        }

        replyTo = null;
        error = "missing reply-to Uri-Query option (R-COAP.2): the USP Record cannot be answered";
        return false;
    }

    /// <summary>Parses the value of a reply-to query in either form.</summary>
    public static bool TryParse(string value, [NotNullWhen(true)] out ReplyTo? replyTo, out string error)
    {
        replyTo = null;
        string rest = value;
        bool secure = false;
        var form = ReplyToForm.HostPortPath;
        if (rest.StartsWith("coap://", StringComparison.OrdinalIgnoreCase))
        {
            rest = rest["coap://".Length..];
            form = ReplyToForm.Uri;
        }
        else if (rest.StartsWith("coaps://", StringComparison.OrdinalIgnoreCase))
        {
            rest = rest["coaps://".Length..];
            form = ReplyToForm.Uri;
            secure = true;
        }
        else if (rest.Contains("://", StringComparison.Ordinal))
        {
            error = $"reply-to '{value}' names a scheme other than coap or coaps";
            return false;
        }

        int slash = rest.IndexOf('/');
        string authority = slash < 0 ? rest : rest[..slash];
        string path = slash < 0 ? string.Empty : rest[(slash + 1)..];
        if (path.Contains('?') || path.Contains('#'))
        {
            error = $"reply-to '{value}' must not carry a query or fragment (R-COAP.2)";
            return false;
        }

        if (!TrySplitAuthority(authority, out string host, out string? portText))
        {
            error = $"reply-to '{value}' has no valid host";
            return false;
        }

        int port = secure ? CoapsDefaultPort : CoapDefaultPort;
        if (portText is not null &&
            (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            error = $"reply-to '{value}' has an invalid port '{portText}'";
            return false;
        }

        try
        {
            path = Uri.UnescapeDataString(path);
        }
        catch (UriFormatException)
        {
            error = $"reply-to '{value}' has a malformed percent-encoding";
            return false;
        }

        replyTo = new ReplyTo(host, port, path, secure, form);
        error = string.Empty;
        return true;
    }

    /// <summary>The Uri-Path segments of the Endpoint's resource.</summary>
    public IEnumerable<string> PathSegments => Path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Formats a reply-to value for our own CoAP server in the given form.</summary>
    public static string Format(string host, int port, string path, bool secure, ReplyToForm form)
    {
        string hostPart = host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host;
        string authorityAndPath = $"{hostPart}:{port.ToString(CultureInfo.InvariantCulture)}/{path.TrimStart('/')}";
        return form == ReplyToForm.Uri ? $"{(secure ? "coaps" : "coap")}://{authorityAndPath}" : authorityAndPath;
    }

    public override string ToString() => Format(Host, Port, Path, Secure, Form);

    private static bool TrySplitAuthority(string authority, out string host, out string? port)
    {
        host = string.Empty;
        port = null;
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']');
            if (close < 0 || !IPAddress.TryParse(authority[1..close], out _))
            {
                return false;
            }

            host = authority[1..close];
            string after = authority[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                {
                    return false;
                }

                port = after[1..];
            }

            return true;
        }

        int colon = authority.LastIndexOf(':');
        if (colon >= 0 && authority.IndexOf(':') != colon)
        {
            return false; // an IPv6 literal must be bracketed
        }

        host = colon < 0 ? authority : authority[..colon];
        port = colon < 0 ? null : authority[(colon + 1)..];
        return host.Length > 0 && Uri.CheckHostName(host) != UriHostNameType.Unknown;
    }
}

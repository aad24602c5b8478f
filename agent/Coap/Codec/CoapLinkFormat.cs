using System.Text;

namespace Usp.Agent.Coap;

/// <summary>RFC 6690 link format for /.well-known/core, with the §4.1 query filtering.</summary>
public static class CoapLinkFormat
{
    public const string WellKnownCorePath = ".well-known/core";

    /// <summary>Renders the discoverable resources matching every "name=value" filter (a trailing '*' is a prefix match).</summary>
    public static string Render(IEnumerable<CoapResource> resources, IReadOnlyList<string> filters)
    {
        var sb = new StringBuilder();
        foreach (var resource in resources)
        {
            if (!resource.Discoverable || !filters.All(f => Matches(resource, f)))
            {
                continue;
            }
            if (sb.Length > 0)
            {
                sb.Append(',');
            }
            sb.Append("</").Append(resource.Path).Append('>');
            foreach (var attribute in resource.Attributes)
            {
                attribute.AppendTo(sb);
            }
        }
        return sb.ToString();
    }

    public static bool Matches(CoapResource resource, string filter)
    {
        int eq = filter.IndexOf('=', StringComparison.Ordinal);
        string name = eq < 0 ? filter : filter[..eq];
        string? pattern = eq < 0 ? null : filter[(eq + 1)..];
        if (name == "href")
        {
            return pattern is null || ValueMatches("/" + resource.Path, pattern);
        }
        foreach (var attribute in resource.Attributes)
        {
            if (attribute.Name != name)
            {
                continue;
            }
            if (pattern is null)
            {
                return true;
            }
            // Relation-type style attributes hold space-separated values; any one may match.
            foreach (string value in (attribute.Value ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (ValueMatches(value, pattern))
                {
                    return true;
                }
            }
            if (ValueMatches(attribute.Value ?? string.Empty, pattern))
            {
                return true;
            }
        }
        return false;
    }

    private static bool ValueMatches(string value, string pattern) =>
        pattern.EndsWith('*')
            ? value.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal)
            : value == pattern;
}

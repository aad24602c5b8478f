namespace Usp.DataModel.Paths;

/// <summary>Splitting paths into dot-separated segments, keeping search expressions (and their quoted strings) whole.</summary>
internal static class PathSegments
{
    /// <summary>
    /// Every segment, the last one "" for a path that ends in '.'; <paramref name="balanced"/> is false
    /// when a '[' or a quote is left open.
    /// </summary>
    public static List<string> SplitAll(string path, out bool balanced)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        bool quoted = false;
        int dot;
        while ((dot = NextSeparator(path.AsSpan(start), ref depth, ref quoted)) >= 0)
        {
            parts.Add(path.Substring(start, dot));
            start += dot + 1;
        }
        parts.Add(path[start..]);
        balanced = depth == 0 && !quoted;
        return parts;
    }

    /// <summary>
    /// Where the next segment ends in <paramref name="text"/>: the index of the first '.' outside a search expression
    /// and its quoted strings, or -1. The bracket depth and quote state carry over from one call to the next.
    /// </summary>
    public static int NextSeparator(ReadOnlySpan<char> text, ref int depth, ref bool quoted)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted) { quoted = c != '"'; continue; }
            if (c == '"' && depth > 0) quoted = true;
            else if (c == '[') depth++;
            else if (c == ']') depth--;
            else if (c == '.' && depth == 0) return i;
        }
        return -1;
    }

    /// <summary>The non-empty trailing form: "Device.X." gives ["Device", "X"].</summary>
    public static string[] Split(string path)
    {
        var parts = SplitAll(path, out _);
        if (parts[^1].Length == 0)
            parts.RemoveAt(parts.Count - 1);
        return [.. parts];
    }

    public static bool IsInstance(string segment) => IsInstance(segment.AsSpan());

    public static bool IsInstance(ReadOnlySpan<char> segment) =>
        segment is "{i}" or "*" || (segment.Length > 0 && !segment.ContainsAnyExceptInRange('0', '9'));
}

/// <summary>
/// The segments of a path one at a time, without allocating: the same segments as
/// <see cref="PathSegments.Split"/> (search expressions and their quoted strings whole, no trailing empty one).
/// </summary>
internal ref struct PathSegmentReader(ReadOnlySpan<char> path)
{
    private ReadOnlySpan<char> _rest = path;
    private bool _done = path.IsEmpty;

    public bool TryRead(out ReadOnlySpan<char> segment)
    {
        if (_done)
        {
            segment = default;
            return false;
        }

        int depth = 0;
        bool quoted = false;
        int dot = PathSegments.NextSeparator(_rest, ref depth, ref quoted);
        if (dot >= 0)
        {
            segment = _rest[..dot];
            _rest = _rest[(dot + 1)..];
            return true;
        }

        segment = _rest;
        _done = true;
        // Split drops only a trailing empty segment: "a." is ["a"].
        return !segment.IsEmpty;
    }

    /// <summary>The last segment; empty when there is none.</summary>
    public static ReadOnlySpan<char> Last(ReadOnlySpan<char> path)
    {
        var reader = new PathSegmentReader(path);
        ReadOnlySpan<char> last = default;
        while (reader.TryRead(out var segment))
            last = segment;
        return last;
    }
}

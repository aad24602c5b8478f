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
        for (int i = 0; i < path.Length; i++)
        {
            char c = path[i];
            if (quoted) { quoted = c != '"'; continue; }
            if (c == '"' && depth > 0) quoted = true;
            else if (c == '[') depth++;
            else if (c == ']') depth--;
            else if (c == '.' && depth == 0)
            {
                parts.Add(path[start..i]);
                start = i + 1;
            }
        }
        parts.Add(path[start..]);
        balanced = depth == 0 && !quoted;
        return parts;
    }

    /// <summary>The non-empty trailing form: "Device.X." gives ["Device", "X"].</summary>
    public static string[] Split(string path)
    {
        var parts = SplitAll(path, out _);
        if (parts[^1].Length == 0)
            parts.RemoveAt(parts.Count - 1);
        return [.. parts];
    }

    public static bool IsInstance(string segment) =>
        segment is "{i}" or "*" || (segment.Length > 0 && segment.All(char.IsAsciiDigit));
}

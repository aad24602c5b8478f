namespace Usp.DataModel.Paths;

/// <summary>Turns any path form (instance numbers, keys, '*', search expressions, '{i}') into supported-path notation.</summary>
internal static class SupportedPath
{
    public static bool TryNormalize(string path, out string normalized, out string problem)
    {
        normalized = "";
        problem = "";
        if (path.Length == 0 || path.Length > PathParser.MaxPathLength)
        {
            problem = path.Length == 0 ? "The path is empty." : $"The path is longer than {PathParser.MaxPathLength} characters.";
            return false;
        }
        var parts = PathSegments.SplitAll(path, out bool balanced);
        if (!balanced || parts.Take(parts.Count - 1).Any(p => p.Length == 0) || parts[0] != "Device")
        {
            problem = $"'{PathParser.Clip(path)}' is not a valid path.";
            return false;
        }
        for (int i = 0; i < parts.Count; i++)
        {
            var p = parts[i];
            if (p == "*" || p == "{i}" || (p.Length > 0 && p[0] == '[') || (p.Length > 0 && p.All(char.IsAsciiDigit)))
                parts[i] = "{i}";
        }
        normalized = string.Join('.', parts);
        return true;
    }
}

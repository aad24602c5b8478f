namespace Usp.DataModel.Defaults;

/// <summary>One <c>Device.X.Y value</c> line of a factory-defaults file.</summary>
public sealed record FactoryDefault(int Line, string Path, string Value);

/// <summary>
/// Reads the OB-USP-Agent factory-reset text format: one parameter per line, the full path, white
/// space, then the value, optionally in double quotes ("" for empty); '#' starts a comment line.
/// </summary>
public static class FactoryDefaultsFile
{
    public static IReadOnlyList<FactoryDefault> Parse(string text, IEngineLog log)
    {
        var entries = new List<FactoryDefault>();
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            int gap = line.IndexOfAny([' ', '\t']);
            if (gap < 0)
            {
                log.Warning($"Factory defaults line {i + 1}: '{line}' has no value; skipped.");
                continue;
            }
            var path = line[..gap];
            var value = line[gap..].Trim();
            if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
                value = value[1..^1];
            else if (value.StartsWith('"'))
            {
                log.Warning($"Factory defaults line {i + 1}: the value of {path} has an opening '\"' but no closing one; skipped.");
                continue;
            }
            entries.Add(new FactoryDefault(i + 1, path, value));
        }
        return entries;
    }
}

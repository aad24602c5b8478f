using Usp.DataModel.Paths;
namespace Usp.DataModel.Security;

/// <summary>
/// One entry of a Permission's <c>Targets</c>: a path that covers itself and everything below it.
/// Instance segments may be numbers, <c>*</c> or <c>{i}</c>; a search-expression segment
/// (<c>[Enable==true]</c>) is matched against the instance numbers it resolved to when the
/// trust model was built.
/// </summary>
internal sealed class PermissionTarget
{
    private readonly string[] _segments;
    private readonly HashSet<string>?[] _expressionMatches;

    private PermissionTarget(string[] segments, HashSet<string>?[] expressionMatches)
    {
        _segments = segments;
        _expressionMatches = expressionMatches;
    }

    public bool HasSearchExpression => _expressionMatches.Any(m => m is not null);

    /// <param name="target">The Targets entry (trailing '.' optional).</param>
    /// <param name="resolveExpression">For a segment like <c>[Enable==true]</c>: the instance numbers the
    /// path up to and including it resolves to, or null when it does not resolve.</param>
    public static PermissionTarget? Parse(string target, Func<string, IReadOnlyCollection<string>?> resolveExpression)
    {
        var text = target.Trim();
        if (text.Length == 0)
            return null;
        var segments = PathSegments.Split(text.TrimEnd('.'));
        if (segments.Length == 0 || segments.Any(s => s.Length == 0))
            return null;
        var matches = new HashSet<string>?[segments.Length];
        for (int i = 0; i < segments.Length; i++)
        {
            if (!segments[i].StartsWith('['))
                continue;
            var prefix = string.Join('.', segments.Take(i + 1)) + ".";
            if (resolveExpression(prefix) is not { } numbers)
                return null;
            matches[i] = new HashSet<string>(numbers, StringComparer.Ordinal);
        }
        return new PermissionTarget(segments, matches);
    }

    /// <summary>True when <paramref name="path"/> (without its trailing '.') is this target or lies below it.</summary>
    public bool Covers(ReadOnlySpan<char> path)
    {
        var reader = new PathSegmentReader(path);
        for (int i = 0; i < _segments.Length; i++)
        {
            if (!reader.TryRead(out var theirs))
                return false;
            var mine = _segments[i];
            if (_expressionMatches[i] is { } numbers)
            {
                if (!numbers.GetAlternateLookup<ReadOnlySpan<char>>().Contains(theirs))
                    return false;
            }
            else if (mine is "*" or "{i}")
            {
                if (!PathSegments.IsInstance(theirs))
                    return false;
            }
            else if (!theirs.SequenceEqual(mine))
            {
                return false;
            }
        }
        return true;
    }

    public override string ToString() => string.Join('.', _segments);
}

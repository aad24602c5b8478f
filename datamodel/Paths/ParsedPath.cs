namespace Usp.DataModel.Paths;

/// <summary>What the last element of a path names.</summary>
public enum LeafKind
{
    Object,
    Parameter,
    Command,
    Event,
}

internal enum SegmentKind
{
    Name,
    InstanceNumber,
    Wildcard,
    Expression,
}

/// <summary>A reference-following decorator: <c>+</c>, <c>#n+</c> or <c>#*+</c> (Index null = all).</summary>
internal sealed record ReferenceFollow(int? Index);

/// <summary>One dot-separated element of an instantiated data model path.</summary>
internal sealed record PathSegment(SegmentKind Kind, string Name, int Number = 0,
    SearchExpression? Expression = null, ReferenceFollow? Follow = null);

/// <summary>A syntactically valid path, split into segments.</summary>
internal sealed class ParsedPath(string text, IReadOnlyList<PathSegment> segments, LeafKind leaf)
{
    public string Text { get; } = text;
    /// <summary>The segments; for non-object leaves the last one names the parameter/command/event.</summary>
    public IReadOnlyList<PathSegment> Segments { get; } = segments;
    public LeafKind Leaf { get; } = leaf;
    public bool IsSearch => Segments.Any(s => s.Kind is SegmentKind.Wildcard or SegmentKind.Expression || s.Follow is not null);
}

/// <summary>A path (or search expression) problem, with the USP error code to report.</summary>
public readonly record struct PathError(uint Code, string Message);

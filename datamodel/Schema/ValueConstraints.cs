namespace Usp.DataModel.Schema;

/// <summary>Restrictions on a parameter's value beyond its base type (TR-106 facets).</summary>
public sealed class ValueConstraints
{
    public static readonly ValueConstraints None = new();

    /// <summary>Inclusive numeric lower bound (for numeric types).</summary>
    public decimal? MinInclusive { get; init; }
    /// <summary>Inclusive numeric upper bound (for numeric types).</summary>
    public decimal? MaxInclusive { get; init; }
    /// <summary>Minimum string length (or of each item for lists).</summary>
    public int? MinLength { get; init; }
    /// <summary>Maximum string length (or of each item for lists).</summary>
    public int? MaxLength { get; init; }
    /// <summary>Allowed values; empty means any.</summary>
    public IReadOnlyList<string> Enumeration { get; init; } = [];
    /// <summary>Whole-value patterns; the value must match one of them.</summary>
    public IReadOnlyList<ValuePattern> Patterns { get; init; } = [];
    /// <summary>Maximum number of items of a list-valued parameter.</summary>
    public int? MaxItems { get; init; }
}

namespace Usp.DataModel.Paths;

internal enum ExpressionOperator
{
    Equal,
    NotEqual,
    Contains,
    Less,
    Greater,
    LessOrEqual,
    GreaterOrEqual,
}

/// <summary>One <c>relpath oper value</c> term of a search expression.</summary>
internal sealed record ExpressionComponent(IReadOnlyList<PathSegment> RelativePath, ExpressionOperator Operator,
    string Constant, bool ConstantQuoted)
{
    public string RelativePathText => string.Join('.', RelativePath.Select(s => s.Name));
}

/// <summary>A search expression: components joined by <c>&amp;&amp;</c>.</summary>
internal sealed record SearchExpression(string Text, IReadOnlyList<ExpressionComponent> Components);

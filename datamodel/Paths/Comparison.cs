using System.Globalization;
using Usp.DataModel.Schema;

namespace Usp.DataModel.Paths;

/// <summary>Type-aware evaluation of search expression components (TR-369 "Searching with Expressions").</summary>
internal static class Comparison
{
    /// <summary>Returns a description of why the component cannot apply to the parameter, or null.</summary>
    public static string? Check(ParamSchema param, ExpressionComponent c)
    {
        if (c.Operator == ExpressionOperator.Contains && !param.IsList)
            return $"'~=' only applies to list-valued parameters; {param.Name} is not a list.";
        bool ordered = c.Operator is ExpressionOperator.Less or ExpressionOperator.Greater
            or ExpressionOperator.LessOrEqual or ExpressionOperator.GreaterOrEqual;
        switch (param.Type)
        {
            case ParamType.String:
                if (ordered)
                    return $"{param.Name} is a string; only ==, != (and ~= for lists) apply.";
                if (!c.ConstantQuoted)
                    return $"{param.Name} is a string; write the value in double quotes.";
                return null;
            case ParamType.Boolean:
                if (ordered)
                    return $"{param.Name} is a boolean; only == and != apply.";
                if (c.ConstantQuoted || !ValueValidator.TryParseBoolean(c.Constant, out _))
                    return $"{param.Name} is a boolean; compare it with true, false, 1 or 0 (no quotes).";
                return null;
            case ParamType.UnsignedInt or ParamType.Int or ParamType.UnsignedLong or ParamType.Long:
                if (c.ConstantQuoted || !ValueValidator.TryParseInteger(c.Constant, out _))
                    return $"{param.Name} is a number; compare it with an unquoted integer.";
                return null;
            case ParamType.Decimal:
                if (c.ConstantQuoted || !decimal.TryParse(c.Constant, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                    return $"{param.Name} is a decimal; compare it with an unquoted number.";
                return null;
            case ParamType.DateTime:
                if (!ValueValidator.TryParseDateTime(c.Constant, out var t))
                    return $"{param.Name} is a dateTime; compare it with a value like 2024-01-31T12:00:00Z.";
                if (ordered && t == DateTimeOffset.MinValue)
                    return "the Unknown Time value only supports == and !=.";
                return null;
            default:
                return ordered ? $"{param.Name} is binary; only == and != apply." : null;
        }
    }

    public static bool Evaluate(ParamSchema param, string value, ExpressionComponent c)
    {
        if (c.Operator == ExpressionOperator.Contains)
        {
            return value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Any(item => Compare(param.Type, item, c.Constant) == 0);
        }
        int? cmp = Compare(param.Type, value, c.Constant);
        if (cmp is null)
            return c.Operator == ExpressionOperator.NotEqual;
        return c.Operator switch
        {
            ExpressionOperator.Equal => cmp == 0,
            ExpressionOperator.NotEqual => cmp != 0,
            ExpressionOperator.Less => cmp < 0,
            ExpressionOperator.Greater => cmp > 0,
            ExpressionOperator.LessOrEqual => cmp <= 0,
            _ => cmp >= 0,
        };
    }

    /// <summary>Compares a stored value with a constant; null when the stored value does not parse.</summary>
    private static int? Compare(ParamType type, string value, string constant)
    {
        switch (type)
        {
            case ParamType.Boolean:
                if (!ValueValidator.TryParseBoolean(value, out var a) || !ValueValidator.TryParseBoolean(constant, out var b))
                    return null;
                return a.CompareTo(b);
            case ParamType.UnsignedInt or ParamType.Int or ParamType.UnsignedLong or ParamType.Long:
                if (!ValueValidator.TryParseInteger(value, out var x) || !ValueValidator.TryParseInteger(constant, out var y))
                    return null;
                return x.CompareTo(y);
            case ParamType.Decimal:
                if (!decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var dx) ||
                    !decimal.TryParse(constant, NumberStyles.Float, CultureInfo.InvariantCulture, out var dy))
                    return null;
                return dx.CompareTo(dy);
            case ParamType.DateTime:
                if (!ValueValidator.TryParseDateTime(value, out var tx) || !ValueValidator.TryParseDateTime(constant, out var ty))
                    return null;
                return tx.CompareTo(ty);
            case ParamType.HexBinary:
                return string.Compare(value, constant, StringComparison.OrdinalIgnoreCase);
            default:
                return string.CompareOrdinal(value, constant);
        }
    }
}

using System.Globalization;

namespace Usp.DataModel.Schema;

/// <summary>The outcome of checking a textual value against a parameter's type and facets.</summary>
public readonly record struct ValueCheck(bool Ok, string Value, uint ErrorCode, string? Error)
{
    public static ValueCheck Valid(string canonical) => new(true, canonical, 0, null);
    public static ValueCheck InvalidType(string message) => new(false, "", ErrorCodes.InvalidType, message);
    public static ValueCheck InvalidValue(string message) => new(false, "", ErrorCodes.InvalidValue, message);
}

/// <summary>Checks values against TR-106 types and facets, returning the canonical form to store.</summary>
public static class ValueValidator
{
    public static ValueCheck Check(ParamSchema param, string value)
    {
        if (!param.IsList)
            return CheckItem(param, value);
        if (value.Length == 0)
            return ValueCheck.Valid("");
        var items = value.Split(',');
        if (param.Constraints.MaxItems is { } maxItems && items.Length > maxItems)
            return ValueCheck.InvalidValue($"{param.Name} takes at most {maxItems} list items; got {items.Length}.");
        var canonical = new string[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            var r = CheckItem(param, items[i].Trim());
            if (!r.Ok)
                return r;
            canonical[i] = r.Value;
        }
        return ValueCheck.Valid(string.Join(',', canonical));
    }

    private static ValueCheck CheckItem(ParamSchema param, string value)
    {
        switch (param.Type)
        {
            case ParamType.String:
                return CheckString(param, value);
            case ParamType.Boolean:
                return TryParseBoolean(value, out bool b)
                    ? ValueCheck.Valid(b ? "true" : "false")
                    : ValueCheck.InvalidType($"{param.Name} is a boolean; '{Clip(value)}' is not one of true, false, 1, 0.");
            case ParamType.UnsignedInt:
                return CheckInteger(param, value, uint.MinValue, uint.MaxValue, "unsignedInt");
            case ParamType.Int:
                return CheckInteger(param, value, int.MinValue, int.MaxValue, "int");
            case ParamType.UnsignedLong:
                return CheckInteger(param, value, ulong.MinValue, ulong.MaxValue, "unsignedLong");
            case ParamType.Long:
                return CheckInteger(param, value, long.MinValue, long.MaxValue, "long");
            case ParamType.Decimal:
                if (!decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                    return ValueCheck.InvalidType($"{param.Name} is a decimal; '{Clip(value)}' is not a number.");
                return CheckRange(param, d) ?? ValueCheck.Valid(value.Trim());
            case ParamType.DateTime:
                return TryParseDateTime(value, out _)
                    ? ValueCheck.Valid(value)
                    : ValueCheck.InvalidType($"{param.Name} is a dateTime; '{Clip(value)}' is not of the form 2024-01-31T12:00:00Z.");
            case ParamType.Base64:
                {
                    var buffer = new byte[value.Length];
                    if (!Convert.TryFromBase64String(value, buffer, out int n))
                        return ValueCheck.InvalidType($"{param.Name} is base64; '{Clip(value)}' is not valid base64.");
                    return CheckLength(param, n, "bytes") ?? ValueCheck.Valid(value);
                }
            case ParamType.HexBinary:
                if (value.Length % 2 != 0 || !value.All(char.IsAsciiHexDigit))
                    return ValueCheck.InvalidType($"{param.Name} is hexBinary; '{Clip(value)}' is not an even number of hex digits.");
                return CheckLength(param, value.Length / 2, "bytes") ?? ValueCheck.Valid(value);
            default:
                return ValueCheck.InvalidType($"{param.Name} has an unsupported type.");
        }

        static ValueCheck CheckString(ParamSchema param, string value)
        {
            var c = param.Constraints;
            if (CheckLength(param, value.Length, "characters") is { } err)
                return err;
            if (c.Enumeration.Count > 0 && !c.Enumeration.Contains(value, StringComparer.Ordinal))
                return ValueCheck.InvalidValue($"{param.Name} must be one of {string.Join(", ", c.Enumeration)}; got '{Clip(value)}'.");
            if (c.Patterns.Count > 0 && value.Length > 0 && !c.Patterns.Any(p => p.IsMatch(value)))
                return ValueCheck.InvalidValue($"'{Clip(value)}' is not a valid {param.Name}.");
            return ValueCheck.Valid(value);
        }
    }

    private static ValueCheck? CheckLength(ParamSchema param, int length, string unit)
    {
        var c = param.Constraints;
        if (c.MaxLength is { } max && length > max)
            return ValueCheck.InvalidValue($"{param.Name} takes at most {max} {unit}; got {length}.");
        if (c.MinLength is { } min && length < min && length > 0)
            return ValueCheck.InvalidValue($"{param.Name} needs at least {min} {unit}; got {length}.");
        return null;
    }

    private static ValueCheck CheckInteger(ParamSchema param, string value, decimal min, decimal max, string typeName)
    {
        if (!TryParseInteger(value, out var n) || n < min || n > max)
            return ValueCheck.InvalidType($"{param.Name} is an {typeName}; '{Clip(value)}' is not one.");
        return CheckRange(param, n) ?? ValueCheck.Valid(n.ToString(CultureInfo.InvariantCulture));
    }

    private static ValueCheck? CheckRange(ParamSchema param, decimal n)
    {
        var c = param.Constraints;
        if (c.MinInclusive is { } lo && n < lo)
            return ValueCheck.InvalidValue($"{param.Name} must be at least {lo}; got {n}.");
        if (c.MaxInclusive is { } hi && n > hi)
            return ValueCheck.InvalidValue($"{param.Name} must be at most {hi}; got {n}.");
        return null;
    }

    public static bool TryParseInteger(string value, out decimal result)
    {
        result = 0;
        var s = value.Trim();
        if (s.Length == 0 || s.Length > 21)
            return false;
        foreach (var (ch, i) in s.Select((ch, i) => (ch, i)))
        {
            if (!(char.IsAsciiDigit(ch) || (i == 0 && (ch == '-' || ch == '+'))))
                return false;
        }
        return decimal.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out result);
    }

    public static bool TryParseBoolean(string value, out bool result)
    {
        switch (value)
        {
            case "true" or "1":
                result = true;
                return true;
            case "false" or "0":
                result = false;
                return true;
            default:
                result = false;
                return false;
        }
    }

    public static bool TryParseDateTime(string value, out DateTimeOffset result) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out result)
        && value.Contains('T');

    private static string Clip(string value) => value.Length <= 64 ? value : value[..64] + "…";
}

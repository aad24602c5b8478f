using System.Text.RegularExpressions;

namespace Usp.DataModel.Schema;

/// <summary>
/// A whole-value pattern facet (TR-106 <c>pattern</c>). The agent's own patterns are hand-written checks so that
/// System.Text.RegularExpressions is not loaded just to validate them; <see cref="FromRegex"/> serves any other
/// pattern, and loads Regex only when such a pattern exists.
/// </summary>
public abstract class ValuePattern
{
    /// <summary>TR-181 Alias: a letter, then letters, digits, '_', '-' or ':' (<c>^[A-Za-z][A-Za-z0-9_\-:]*$</c>).</summary>
    public static ValuePattern Alias { get; } = new AliasPattern();

    /// <summary>An IEEE OUI: six upper-case hex digits (<c>^[0-9A-F]{6}$</c>).</summary>
    public static ValuePattern Oui { get; } = new OuiPattern();

    /// <summary>A .NET regular expression, culture-invariant; the value matches if the expression matches it.</summary>
    public static ValuePattern FromRegex(string pattern) => new RegexPattern(pattern);

    public abstract bool IsMatch(string value);

    // .NET's '$' (without Multiline) also matches before one final '\n'; the hand-written patterns keep the exact
    // behaviour of the expressions they replace.
    private static ReadOnlySpan<char> WithoutFinalNewline(string value) =>
        value.EndsWith('\n') ? value.AsSpan(0, value.Length - 1) : value;

    private sealed class AliasPattern : ValuePattern
    {
        public override bool IsMatch(string value)
        {
            var text = WithoutFinalNewline(value);
            if (text.IsEmpty || !char.IsAsciiLetter(text[0]))
                return false;
            foreach (char c in text[1..])
            {
                if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-' or ':'))
                    return false;
            }
            return true;
        }
    }

    private sealed class OuiPattern : ValuePattern
    {
        public override bool IsMatch(string value)
        {
            var text = WithoutFinalNewline(value);
            if (text.Length != 6)
                return false;
            foreach (char c in text)
            {
                if (!char.IsAsciiDigit(c) && c is not (>= 'A' and <= 'F'))
                    return false;
            }
            return true;
        }
    }

    private sealed class RegexPattern(string pattern) : ValuePattern
    {
        private readonly Regex _regex = new(pattern, RegexOptions.CultureInvariant);

        public override bool IsMatch(string value) => _regex.IsMatch(value);

        public override string ToString() => pattern;
    }
}

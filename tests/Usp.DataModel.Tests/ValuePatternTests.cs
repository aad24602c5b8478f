using System.Text.RegularExpressions;
using Usp.DataModel.Schema;

namespace Usp.DataModel.Tests;

/// <summary>The hand-written patterns accept exactly what the regular expressions they replace accept.</summary>
public sealed class ValuePatternTests
{
    private static readonly string[] Samples =
    [
        "", "a", "Z", "0", "_", "-", ":", "a1", "cpe-1", "cpe_1:x", "Abc-_:09", "1abc", "-abc", "a.b", "a b", "a\n", "a\n\n",
        "\na", "a\r", "é", "aé", "a\t", "00D09E", "00d09e", "00D09", "00D09E0", "00D09E\n", "00D09G", "ABCDEF", "GHIJKL",
        "٠٠٠٠٠٠", "AB CDE",
    ];

    [Theory]
    [InlineData("alias", "^[A-Za-z][A-Za-z0-9_\\-:]*$")]
    [InlineData("oui", "^[0-9A-F]{6}$")]
    public void Hand_written_pattern_matches_what_the_regular_expression_matches(string name, string expression)
    {
        var pattern = name == "alias" ? ValuePattern.Alias : ValuePattern.Oui;
        var regex = new Regex(expression, RegexOptions.CultureInvariant);
        foreach (string sample in Samples)
            Assert.True(regex.IsMatch(sample) == pattern.IsMatch(sample), $"{name} disagrees with {expression} on '{sample}'");
    }

    [Fact]
    public void Regex_pattern_matches_its_expression()
    {
        var pattern = ValuePattern.FromRegex("^[a-z]*$");
        Assert.True(pattern.IsMatch("abc"));
        Assert.False(pattern.IsMatch("aBc"));
    }
}

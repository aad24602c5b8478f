using System.Globalization;
using System.Text;

namespace Usp.DataModel.Paths;

/// <summary>Parses instantiated data model paths (TR-369 "Data Model Path Grammar").</summary>
internal static class PathParser
{
    /// <summary>TR-106 limits a full path name to 256 characters.</summary>
    public const int MaxPathLength = 256;

    public static bool TryParse(string text, out ParsedPath path, out PathError error)
    {
        path = null!;
        if (text.Length == 0)
            return Fail("The path is empty.", out error);
        if (text.Length > MaxPathLength)
            return Fail($"The path is {text.Length} characters long; at most {MaxPathLength} are accepted.", out error);
        if (!TrySplit(text, out var tokens, out error))
            return false;

        bool objectPath = tokens[^1].Length == 0;
        int count = objectPath ? tokens.Count - 1 : tokens.Count;
        var segments = new List<PathSegment>(count);
        var leaf = LeafKind.Object;
        for (int i = 0; i < count; i++)
        {
            bool last = i == count - 1;
            if (!TryParseSegment(tokens[i], last && !objectPath, out var segment, out var segLeaf, out error))
            {
                error = error with { Message = $"'{Clip(text)}': {error.Message}" };
                return false;
            }
            if (i == 0 && (segment.Kind != SegmentKind.Name || segment.Name != "Device" || segment.Follow is not null))
                return Fail($"'{Clip(text)}' does not start with 'Device.'.", out error);
            if (last && !objectPath)
            {
                leaf = segLeaf;
                if (segment.Kind != SegmentKind.Name || segment.Follow is not null)
                    return Fail($"'{Clip(text)}' does not end with a parameter, command or event name (object paths end with '.').", out error);
            }
            segments.Add(segment);
        }
        path = new ParsedPath(text, segments, leaf);
        error = default;
        return true;
    }

    /// <summary>Splits on '.' outside brackets and quotes.</summary>
    private static bool TrySplit(string text, out List<string> tokens, out PathError error)
    {
        tokens = [];
        int depth = 0;
        bool quoted = false;
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"')
                    quoted = false;
                continue;
            }
            switch (c)
            {
                case '"' when depth > 0:
                    quoted = true;
                    break;
                case '[':
                    if (depth > 0)
                        return Fail($"'{Clip(text)}' has a '[' inside a search expression.", out error);
                    depth++;
                    break;
                case ']':
                    if (depth == 0)
                        return Fail($"'{Clip(text)}' has a ']' without a matching '['.", out error);
                    depth--;
                    break;
                case '.' when depth == 0:
                    tokens.Add(text[start..i]);
                    start = i + 1;
                    break;
                case char ws when depth == 0 && char.IsWhiteSpace(ws):
                    return Fail($"'{Clip(text)}' contains white space outside a search expression.", out error);
            }
        }
        if (quoted || depth > 0)
            return Fail($"'{Clip(text)}' has an unterminated search expression or string.", out error);
        tokens.Add(text[start..]);
        for (int i = 0; i < tokens.Count - 1; i++)
        {
            if (tokens[i].Length == 0)
                return Fail($"'{Clip(text)}' has an empty path element ('..' or a leading '.').", out error);
        }
        error = default;
        return true;
    }

    private static bool TryParseSegment(string token, bool isLeaf, out PathSegment segment, out LeafKind leaf, out PathError error)
    {
        segment = null!;
        leaf = LeafKind.Parameter;
        if (token == "*")
        {
            segment = new PathSegment(SegmentKind.Wildcard, "*");
            return Ok(out error);
        }
        if (token[0] == '[')
        {
            if (!TryParseExpression(token, out var expr, out error))
                return false;
            segment = new PathSegment(SegmentKind.Expression, token, Expression: expr);
            return true;
        }
        if (char.IsAsciiDigit(token[0]))
        {
            if (token[0] == '0' || !token.All(char.IsAsciiDigit) ||
                !int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                return Fail($"'{token}' is not a valid instance number (1 or more, no leading zero).", out error);
            segment = new PathSegment(SegmentKind.InstanceNumber, token, Number: n);
            return Ok(out error);
        }
        if (token == "{i}")
            return Fail("'{i}' is supported data model notation; address instances by number, key, '*' or a search expression.", out error);

        string name = token;
        if (isLeaf && token.EndsWith("()", StringComparison.Ordinal))
        {
            leaf = LeafKind.Command;
            name = token[..^2];
        }
        else if (isLeaf && token.EndsWith('!'))
        {
            leaf = LeafKind.Event;
            name = token[..^1];
        }
        ReferenceFollow? follow = null;
        if (!isLeaf && name.EndsWith('+'))
        {
            if (!TryParseFollow(ref name, out follow, out error))
                return false;
        }
        if (!IsName(name))
            return Fail($"'{token}' is not a valid name (letters, digits and '_', not starting with a digit).", out error);
        segment = new PathSegment(SegmentKind.Name, leaf switch
        {
            LeafKind.Command => name + "()",
            LeafKind.Event => name + "!",
            _ => name,
        }, Follow: follow);
        return Ok(out error);
    }

    private static bool TryParseFollow(ref string name, out ReferenceFollow? follow, out PathError error)
    {
        follow = null;
        var body = name[..^1];
        int hash = body.IndexOf('#');
        if (hash < 0)
        {
            name = body;
            follow = new ReferenceFollow(1);
            return Ok(out error);
        }
        var index = body[(hash + 1)..];
        name = body[..hash];
        if (index == "*")
        {
            follow = new ReferenceFollow(null);
            return Ok(out error);
        }
        if (index.Length == 0 || index[0] == '0' || !index.All(char.IsAsciiDigit) ||
            !int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            return Fail($"'#{index}+' is not a valid list reference (use #1+, #2+… or #*+).", out error);
        follow = new ReferenceFollow(n);
        return Ok(out error);
    }

    private static readonly (string Text, ExpressionOperator Op)[] Operators =
    [
        ("==", ExpressionOperator.Equal), ("!=", ExpressionOperator.NotEqual), ("~=", ExpressionOperator.Contains),
        ("<=", ExpressionOperator.LessOrEqual), (">=", ExpressionOperator.GreaterOrEqual),
        ("<", ExpressionOperator.Less), (">", ExpressionOperator.Greater),
    ];

    private static bool TryParseExpression(string token, out SearchExpression expr, out PathError error)
    {
        expr = null!;
        var body = token[1..^1];
        if (body.Trim().Length == 0)
            return Fail("the search expression '[]' is empty.", out error);
        var components = new List<ExpressionComponent>();
        foreach (var part in SplitOutsideQuotes(body, "&&"))
        {
            int opAt = -1;
            (string Text, ExpressionOperator Op) op = ("", ExpressionOperator.Equal);
            bool quoted = false;
            for (int i = 0; i < part.Length && opAt < 0; i++)
            {
                if (part[i] == '"')
                    quoted = !quoted;
                if (quoted)
                    continue;
                foreach (var candidate in Operators)
                {
                    if (string.CompareOrdinal(part, i, candidate.Text, 0, candidate.Text.Length) == 0)
                    {
                        opAt = i;
                        op = candidate;
                        break;
                    }
                }
            }
            if (opAt < 0)
                return Fail($"'{part.Trim()}' in {token} has no operator (==, !=, ~=, <, >, <=, >=).", out error);
            var left = part[..opAt].Trim();
            var right = part[(opAt + op.Text.Length)..].Trim();
            if (left.Length == 0 || right.Length == 0)
                return Fail($"'{part.Trim()}' in {token} needs a parameter on the left and a value on the right.", out error);
            var rel = new List<PathSegment>();
            var names = left.Split('.');
            for (int i = 0; i < names.Length; i++)
            {
                var name = names[i];
                ReferenceFollow? follow = null;
                if (name.EndsWith('+') && !TryParseFollow(ref name, out follow, out error))
                    return false;
                if (!IsName(name))
                    return Fail($"'{left}' in {token} is not a relative parameter path.", out error);
                rel.Add(new PathSegment(SegmentKind.Name, name, Follow: follow));
            }
            if (rel[^1].Follow is not null)
                return Fail($"'{left}' in {token} ends with a reference; name a parameter after it.", out error);
            bool isQuoted = right.Length >= 2 && right[0] == '"' && right[^1] == '"';
            string constant;
            if (isQuoted)
            {
                var inner = right[1..^1];
                if (inner.Contains('"'))
                    return Fail($"the value {right} in {token} contains a '\"'; write it as %22.", out error);
                constant = inner.Replace("%22", "\"", StringComparison.Ordinal).Replace("%25", "%", StringComparison.Ordinal);
            }
            else
            {
                if (right.Contains('"') || right.Any(char.IsWhiteSpace))
                    return Fail($"the value {right} in {token} is neither a quoted string nor a literal.", out error);
                constant = right;
            }
            components.Add(new ExpressionComponent(rel, op.Op, constant, isQuoted));
        }
        expr = new SearchExpression(token, components);
        return Ok(out error);
    }

    private static IEnumerable<string> SplitOutsideQuotes(string s, string separator)
    {
        bool quoted = false;
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '"')
                quoted = !quoted;
            else if (!quoted && string.CompareOrdinal(s, i, separator, 0, separator.Length) == 0)
            {
                yield return s[start..i];
                start = i + separator.Length;
                i += separator.Length - 1;
            }
        }
        yield return s[start..];
    }

    public static bool IsName(string s)
    {
        if (s.Length == 0 || !(char.IsAsciiLetter(s[0]) || s[0] == '_'))
            return false;
        foreach (char c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
                return false;
        return true;
    }

    internal static string Clip(string s) => s.Length <= 80 ? s : s[..80] + "…";

    private static bool Fail(string message, out PathError error)
    {
        error = new PathError(ErrorCodes.InvalidPathSyntax, message);
        return false;
    }

    private static bool Ok(out PathError error)
    {
        error = default;
        return true;
    }
}

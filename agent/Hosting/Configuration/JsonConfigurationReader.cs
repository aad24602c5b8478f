using System.Text;
using System.Text.Json;

namespace Usp.Agent.Hosting;

/// <summary>
/// Flattens a JSON configuration document into <c>Section:Key</c> keys, as .NET configuration does: nested
/// objects join their names with <c>:</c>, array items take their index, comments and trailing commas are allowed.
/// </summary>
internal static class JsonConfigurationReader
{
    private static readonly JsonReaderOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <exception cref="JsonException">The text is not JSON, its top level is not an object, or a key appears twice.</exception>
    public static void Read(ReadOnlySpan<byte> utf8Json, IDictionary<string, string?> into)
    {
        ReadOnlySpan<byte> byteOrderMark = [0xEF, 0xBB, 0xBF];
        if (utf8Json.StartsWith(byteOrderMark))
        {
            utf8Json = utf8Json[byteOrderMark.Length..];
        }

        var reader = new Utf8JsonReader(utf8Json, Options);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("the top level must be a JSON object.");
        }

        var keys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        ReadObject(ref reader, prefix: "", keys);
        foreach ((string key, string? value) in keys)
        {
            into[key] = value;
        }
    }

    private static void ReadObject(ref Utf8JsonReader reader, string prefix, Dictionary<string, string?> keys)
    {
        bool empty = true;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            empty = false;
            string key = prefix + reader.GetString();
            reader.Read();
            ReadValue(ref reader, key, keys);
        }

        if (empty && prefix.Length > 0)
        {
            // An empty object is an empty section, as .NET configuration has it.
            Set(keys, prefix[..^1], null);
        }
    }

    private static void ReadValue(ref Utf8JsonReader reader, string key, Dictionary<string, string?> keys)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                ReadObject(ref reader, key + ":", keys);
                break;
            case JsonTokenType.StartArray:
                int index = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    ReadValue(ref reader, $"{key}:{index++}", keys);
                }

                if (index == 0)
                {
                    Set(keys, key, null);
                }

                break;
            case JsonTokenType.String:
                Set(keys, key, reader.GetString());
                break;
            case JsonTokenType.Null:
                Set(keys, key, null);
                break;
            default:
                // Numbers, true and false keep their JSON text.
                Set(keys, key, Encoding.UTF8.GetString(reader.ValueSpan));
                break;
        }
    }

    private static void Set(Dictionary<string, string?> keys, string key, string? value)
    {
        if (!keys.TryAdd(key, value))
        {
            throw new JsonException($"the key '{key}' appears twice.");
        }
    }
}

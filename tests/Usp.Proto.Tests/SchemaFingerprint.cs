using System.Text;
using System.Text.Json;
using Google.Protobuf.Reflection;

namespace Usp.Proto.Tests;

/// <summary>
/// Flattens a schema into one line per wire-relevant fact — message, field number, label, type (scalar, or the
/// full name of the message or enum it refers to), map key and value types, oneof membership, field options,
/// reserved ranges, enum value — leaving out comments and file options such as csharp_namespace, which do not
/// change the wire format. Two sources give the same vocabulary: our compiled descriptor (protoc's
/// FileDescriptorProto) and a protobufjs JSON descriptor (usp-js). Field and oneof names are written as protobufjs
/// writes them (its camelCase of the .proto name); message, enum and enum value names as they are.
/// </summary>
internal static class SchemaFingerprint
{
    /// <summary>The facts of a compiled .proto file.</summary>
    public static SortedSet<string> Of(FileDescriptorProto file)
    {
        var facts = new SortedSet<string>(StringComparer.Ordinal) { $"package {file.Package}" };
        var mapEntries = new Dictionary<string, DescriptorProto>(StringComparer.Ordinal);
        foreach (var message in file.MessageType)
        {
            CollectMapEntries(mapEntries, file.Package, message);
        }

        foreach (var message in file.MessageType)
        {
            AddMessage(facts, mapEntries, file.Package, message);
        }

        foreach (var e in file.EnumType)
        {
            AddEnum(facts, file.Package, e.Name, e.Value.Select(v => (v.Name, v.Number)));
        }

        return facts;
    }

    /// <summary>The facts of a protobufjs JSON descriptor (a namespace with "nested" types).</summary>
    public static SortedSet<string> Of(JsonElement root)
    {
        var types = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        CollectJsonTypes(types, string.Empty, root);
        var facts = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (name, node) in types)
        {
            string scope = name[..Math.Max(0, name.LastIndexOf('.'))];
            if (!types.ContainsKey(scope) && scope.Length > 0)
            {
                facts.Add($"package {scope}");
            }

            if (node.TryGetProperty("values", out var values))
            {
                AddEnum(facts, scope, name[(scope.Length + 1)..], values.EnumerateObject().Select(v => (v.Name, v.Value.GetInt32())));
            }
            else
            {
                AddJsonMessage(facts, types, name, node);
            }
        }

        return facts;
    }

    /// <summary>Human-readable difference: facts only in one of the two schemas.</summary>
    public static string Diff(SortedSet<string> expected, SortedSet<string> actual)
    {
        var missing = expected.Except(actual).Select(f => "  missing: " + f);
        var extra = actual.Except(expected).Select(f => "  extra:   " + f);
        return string.Join(Environment.NewLine, missing.Concat(extra));
    }

    /// <summary>protobufjs's name conversion: each "_x" (x a lower-case letter) after the first character becomes "X".</summary>
    public static string CamelCase(string name)
    {
        var text = new StringBuilder(name.Length);
        for (int i = 0; i < name.Length; i++)
        {
            if (i > 0 && name[i] == '_' && i + 1 < name.Length && char.IsAsciiLetterLower(name[i + 1]))
            {
                text.Append(char.ToUpperInvariant(name[++i]));
            }
            else
            {
                text.Append(name[i]);
            }
        }

        return text.ToString();
    }

    private static void CollectMapEntries(Dictionary<string, DescriptorProto> entries, string scope, DescriptorProto message)
    {
        string name = $"{scope}.{message.Name}";
        if (message.Options?.MapEntry == true)
        {
            entries[name] = message;
        }

        foreach (var nested in message.NestedType)
        {
            CollectMapEntries(entries, name, nested);
        }
    }

    private static void AddMessage(SortedSet<string> facts, Dictionary<string, DescriptorProto> mapEntries, string scope, DescriptorProto message)
    {
        string name = $"{scope}.{message.Name}";
        if (mapEntries.ContainsKey(name))
        {
            return; // protobufjs has no message for a map entry: the map field carries its key and value types
        }

        facts.Add($"message {name}");
        foreach (var field in message.Field)
        {
            string type;
            string label = field.Label.ToString().ToLowerInvariant();
            if (field.Type == FieldDescriptorProto.Types.Type.Message && mapEntries.TryGetValue(field.TypeName.TrimStart('.'), out var entry))
            {
                type = $"map<{ScalarOrNamed(entry.Field.Single(f => f.Number == 1))},{ScalarOrNamed(entry.Field.Single(f => f.Number == 2))}>";
                label = "map";
            }
            else
            {
                type = ScalarOrNamed(field);
            }

            string oneof = field.HasOneofIndex ? $" oneof {CamelCase(message.OneofDecl[field.OneofIndex].Name)}" : string.Empty;
            string packed = field.Options?.HasPacked == true ? $" packed={field.Options.Packed.ToString().ToLowerInvariant()}" : string.Empty;
            string optional = field.Proto3Optional ? " proto3_optional=true" : string.Empty;
            facts.Add($"field {name}.{CamelCase(field.Name)} = {field.Number} {label} {type}{oneof}{packed}{optional}");
        }

        foreach (var range in message.ReservedRange)
        {
            facts.Add($"reserved {name} {range.Start}..{range.End - 1}");
        }

        foreach (var reserved in message.ReservedName)
        {
            facts.Add($"reserved {name} {reserved}");
        }

        foreach (var nested in message.NestedType)
        {
            AddMessage(facts, mapEntries, name, nested);
        }

        foreach (var e in message.EnumType)
        {
            AddEnum(facts, name, e.Name, e.Value.Select(v => (v.Name, v.Number)));
        }
    }

    private static string ScalarOrNamed(FieldDescriptorProto field) => field.Type switch
    {
        FieldDescriptorProto.Types.Type.Message => $"message {field.TypeName.TrimStart('.')}",
        FieldDescriptorProto.Types.Type.Enum => $"enum {field.TypeName.TrimStart('.')}",
        var scalar => scalar.ToString().ToLowerInvariant(),
    };

    private static void AddEnum(SortedSet<string> facts, string scope, string enumName, IEnumerable<(string Name, int Number)> values)
    {
        string name = $"{scope}.{enumName}";
        facts.Add($"enum {name}");
        foreach (var (valueName, number) in values)
        {
            facts.Add($"enum-value {name}.{valueName} = {number}");
        }
    }

    private static void CollectJsonTypes(Dictionary<string, JsonElement> types, string scope, JsonElement node)
    {
        if (!node.TryGetProperty("nested", out var nested))
        {
            return;
        }

        foreach (var child in nested.EnumerateObject())
        {
            string name = scope.Length == 0 ? child.Name : $"{scope}.{child.Name}";
            if (child.Value.TryGetProperty("fields", out _) || child.Value.TryGetProperty("values", out _))
            {
                types[name] = child.Value;
            }

            CollectJsonTypes(types, name, child.Value);
        }
    }

    private static void AddJsonMessage(SortedSet<string> facts, Dictionary<string, JsonElement> types, string name, JsonElement message)
    {
        facts.Add($"message {name}");
        var oneofOf = new Dictionary<string, string>(StringComparer.Ordinal);
        if (message.TryGetProperty("oneofs", out var oneofs))
        {
            foreach (var oneof in oneofs.EnumerateObject())
            {
                foreach (var member in oneof.Value.GetProperty("oneof").EnumerateArray())
                {
                    oneofOf[member.GetString()!] = oneof.Name;
                }
            }
        }

        foreach (var field in message.GetProperty("fields").EnumerateObject())
        {
            var f = field.Value;
            string valueType = JsonType(types, name, f.GetProperty("type").GetString()!);
            string label, type;
            if (f.TryGetProperty("keyType", out var keyType))
            {
                (label, type) = ("map", $"map<{JsonType(types, name, keyType.GetString()!)},{valueType}>");
            }
            else
            {
                (label, type) = (f.TryGetProperty("rule", out var rule) ? rule.GetString()! : "optional", valueType);
            }

            string oneof = oneofOf.TryGetValue(field.Name, out var o) ? $" oneof {o}" : string.Empty;
            string options = string.Empty;
            if (f.TryGetProperty("options", out var fieldOptions))
            {
                options = string.Concat(fieldOptions.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal)
                    .Select(p => $" {p.Name}={p.Value.ToString().ToLowerInvariant()}"));
            }

            facts.Add($"field {name}.{field.Name} = {f.GetProperty("id").GetInt32()} {label} {type}{oneof}{options}");
        }

        if (message.TryGetProperty("reserved", out var reserved))
        {
            foreach (var entry in reserved.EnumerateArray())
            {
                facts.Add(entry.ValueKind == JsonValueKind.Array
                    ? $"reserved {name} {entry[0].GetInt32()}..{entry[1].GetInt32()}"
                    : $"reserved {name} {entry.GetString()}");
            }
        }
    }

    /// <summary>A scalar type as it is; a message or enum name resolved the way protobuf does, innermost scope first.</summary>
    private static string JsonType(Dictionary<string, JsonElement> types, string scope, string type)
    {
        if (IsScalar(type))
        {
            return type;
        }

        if (type.StartsWith('.'))
        {
            return Named(types, type[1..]) ?? throw new InvalidDataException($"{scope}: unknown type {type}");
        }

        for (string s = scope; ; s = s[..Math.Max(0, s.LastIndexOf('.'))])
        {
            string candidate = s.Length == 0 ? type : $"{s}.{type}";
            if (Named(types, candidate) is { } found)
            {
                return found;
            }

            if (s.Length == 0)
            {
                throw new InvalidDataException($"{scope}: unknown type {type}");
            }
        }
    }

    private static string? Named(Dictionary<string, JsonElement> types, string fullName) =>
        types.TryGetValue(fullName, out var node) ? (node.TryGetProperty("values", out _) ? "enum " : "message ") + fullName : null;

    private static bool IsScalar(string type) => type is "double" or "float" or "int32" or "int64" or "uint32" or "uint64"
        or "sint32" or "sint64" or "fixed32" or "fixed64" or "sfixed32" or "sfixed64" or "bool" or "string" or "bytes";
}

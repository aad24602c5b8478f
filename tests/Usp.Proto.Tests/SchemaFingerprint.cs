using Google.Protobuf.Reflection;

namespace Usp.Proto.Tests;

/// <summary>
/// Flattens a .proto file's descriptor into one line per wire-relevant fact (message, field number, type,
/// label, referenced type, oneof membership, enum value), leaving out comments and file options such as
/// csharp_namespace, which do not change the wire format.
/// </summary>
internal static class SchemaFingerprint
{
    public static SortedSet<string> Of(FileDescriptorProto file)
    {
        var facts = new SortedSet<string>(StringComparer.Ordinal)
        {
            $"package {file.Package}",
            $"syntax {(string.IsNullOrEmpty(file.Syntax) ? "proto2" : file.Syntax)}",
        };
        foreach (var message in file.MessageType)
        {
            AddMessage(facts, file.Package, message);
        }

        foreach (var e in file.EnumType)
        {
            AddEnum(facts, file.Package, e);
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

    private static void AddMessage(SortedSet<string> facts, string scope, DescriptorProto message)
    {
        string name = $"{scope}.{message.Name}";
        facts.Add($"message {name}{(message.Options?.MapEntry == true ? " (map entry)" : string.Empty)}");
        foreach (var field in message.Field)
        {
            string oneof = field.HasOneofIndex ? $" oneof {message.OneofDecl[field.OneofIndex].Name}" : string.Empty;
            string typeName = field.HasTypeName ? $" {field.TypeName}" : string.Empty;
            string packed = field.Options?.HasPacked == true ? $" packed={field.Options.Packed}" : string.Empty;
            string optional = field.Proto3Optional ? " proto3-optional" : string.Empty;
            facts.Add($"field {name}.{field.Name} = {field.Number} {field.Label} {field.Type}{typeName}{oneof}{packed}{optional}");
        }

        foreach (var nested in message.NestedType)
        {
            AddMessage(facts, name, nested);
        }

        foreach (var e in message.EnumType)
        {
            AddEnum(facts, name, e);
        }

        foreach (var range in message.ReservedRange)
        {
            facts.Add($"reserved {name} {range.Start}..{range.End}");
        }
    }

    private static void AddEnum(SortedSet<string> facts, string scope, EnumDescriptorProto e)
    {
        string name = $"{scope}.{e.Name}";
        facts.Add($"enum {name}");
        foreach (var value in e.Value)
        {
            facts.Add($"enum-value {name}.{value.Name} = {value.Number}");
        }
    }
}

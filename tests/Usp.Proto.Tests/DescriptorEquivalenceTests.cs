using Google.Protobuf.Reflection;

namespace Usp.Proto.Tests;

/// <summary>
/// Our usp-msg.proto and usp-record.proto are written by us; these tests keep them wire-identical to the
/// USP 1.4 schemas as a third party ships them (usp-js's protobufjs descriptors), field by field: numbers,
/// labels, types, map key/value types, oneofs, options, reserved ranges, enum values.
/// </summary>
public class DescriptorEquivalenceTests
{
    [Fact]
    public void UspMsgSchemaIsWireIdenticalToUsp14Reference()
    {
        AssertEquivalent(UspJsSchemas.Load("usp-msg-1-4"), UspMsgReflection.Descriptor);
    }

    [Fact]
    public void UspRecordSchemaIsWireIdenticalToUsp14Reference()
    {
        AssertEquivalent(UspJsSchemas.Load("usp-record-1-4"), UspRecordReflection.Descriptor);
    }

    [Fact]
    public void FingerprintDetectsAChangedFieldNumber()
    {
        var drifted = Ours(UspMsgReflection.Descriptor);
        drifted.MessageType.Single(m => m.Name == "Get").Field.Single(f => f.Name == "max_depth").Number = 3;

        string diff = SchemaFingerprint.Diff(SchemaFingerprint.Of(UspJsSchemas.Load("usp-msg-1-4")), SchemaFingerprint.Of(drifted));

        Assert.Contains("missing: field usp.Get.maxDepth = 2 optional fixed32", diff);
        Assert.Contains("extra:   field usp.Get.maxDepth = 3 optional fixed32", diff);
    }

    [Fact]
    public void FingerprintDetectsAChangedScalarType()
    {
        var drifted = Ours(UspMsgReflection.Descriptor);
        drifted.MessageType.Single(m => m.Name == "Get").Field.Single(f => f.Name == "max_depth").Type = FieldDescriptorProto.Types.Type.Uint32;

        Assert.NotEqual(SchemaFingerprint.Of(UspJsSchemas.Load("usp-msg-1-4")), SchemaFingerprint.Of(drifted));
    }

    [Fact]
    public void FingerprintDetectsARepeatedFieldMadeSingular()
    {
        var drifted = Ours(UspMsgReflection.Descriptor);
        drifted.MessageType.Single(m => m.Name == "Get").Field.Single(f => f.Name == "param_paths").Label = FieldDescriptorProto.Types.Label.Optional;

        Assert.NotEqual(SchemaFingerprint.Of(UspJsSchemas.Load("usp-msg-1-4")), SchemaFingerprint.Of(drifted));
    }

    [Fact]
    public void FingerprintDetectsAFieldTakenOutOfItsOneof()
    {
        var drifted = Ours(UspRecordReflection.Descriptor);
        drifted.MessageType.Single(m => m.Name == "Record").Field.Single(f => f.Name == "disconnect").ClearOneofIndex();

        string diff = SchemaFingerprint.Diff(SchemaFingerprint.Of(UspJsSchemas.Load("usp-record-1-4")), SchemaFingerprint.Of(drifted));

        Assert.Contains("oneof recordType", diff);
    }

    [Fact]
    public void FingerprintDetectsARenamedEnumValue()
    {
        var drifted = Ours(UspRecordReflection.Descriptor);
        var security = drifted.MessageType.Single(m => m.Name == "Record").EnumType.Single(e => e.Name == "PayloadSecurity");
        security.Value.Single(v => v.Number == 1).Name = "TLS13";

        Assert.NotEqual(SchemaFingerprint.Of(UspJsSchemas.Load("usp-record-1-4")), SchemaFingerprint.Of(drifted));
    }

    [Fact]
    public void FingerprintDetectsAChangedMapValueType()
    {
        var drifted = Ours(UspMsgReflection.Descriptor);
        var entry = drifted.MessageType.Single(m => m.Name == "Operate").NestedType.Single(m => m.Options?.MapEntry == true);
        entry.Field.Single(f => f.Number == 2).Type = FieldDescriptorProto.Types.Type.Bytes;

        Assert.NotEqual(SchemaFingerprint.Of(UspJsSchemas.Load("usp-msg-1-4")), SchemaFingerprint.Of(drifted));
    }

    [Theory]
    [InlineData("msg_id", "msgId")]
    [InlineData("payloadrec_sar_state", "payloadrecSarState")]
    [InlineData("param_err_path", "paramErrPath")]
    [InlineData("x_1", "x_1")]
    public void CamelCaseIsProtobufjsNaming(string protoName, string protobufjsName)
    {
        Assert.Equal(protobufjsName, SchemaFingerprint.CamelCase(protoName));
    }

    [Fact]
    public void OurSchemasAreProto3LikeUsp()
    {
        Assert.Equal("proto3", Ours(UspMsgReflection.Descriptor).Syntax);
        Assert.Equal("proto3", Ours(UspRecordReflection.Descriptor).Syntax);
    }

    private static FileDescriptorProto Ours(FileDescriptor file) => FileDescriptorProto.Parser.ParseFrom(file.SerializedData);

    private static void AssertEquivalent(System.Text.Json.JsonElement reference, FileDescriptor ours)
    {
        var expected = SchemaFingerprint.Of(reference);
        var actual = SchemaFingerprint.Of(Ours(ours));

        Assert.True(expected.Count(f => f.StartsWith("field ", StringComparison.Ordinal)) > 10, "the reference schema holds no fields");
        string diff = SchemaFingerprint.Diff(expected, actual);
        Assert.True(diff.Length == 0, $"{ours.Name} drifted from usp-js's USP 1.4 schema:{Environment.NewLine}{diff}");
    }
}

using Google.Protobuf.Reflection;

namespace Usp.Proto.Tests;

/// <summary>
/// Our usp-msg.proto and usp-record.proto are written by us; these tests keep them wire-identical to the
/// USP 1.4 reference schemas, field by field.
/// </summary>
public class DescriptorEquivalenceTests
{
    [Fact]
    public void UspMsgSchemaIsWireIdenticalToUsp14Reference()
    {
        AssertEquivalent(ReferenceSchemas.Compile("usp-msg-1-4.proto"), UspMsgReflection.Descriptor);
    }

    [Fact]
    public void UspRecordSchemaIsWireIdenticalToUsp14Reference()
    {
        AssertEquivalent(ReferenceSchemas.Compile("usp-record-1-4.proto"), UspRecordReflection.Descriptor);
    }

    [Fact]
    public void FingerprintDetectsAChangedFieldNumber()
    {
        var reference = ReferenceSchemas.Compile("usp-msg-1-4.proto");
        var drifted = reference.Clone();
        drifted.MessageType.Single(m => m.Name == "Get").Field.Single(f => f.Name == "max_depth").Number = 3;

        string diff = SchemaFingerprint.Diff(SchemaFingerprint.Of(reference), SchemaFingerprint.Of(drifted));

        Assert.Contains("usp.Get.max_depth = 2", diff);
        Assert.Contains("usp.Get.max_depth = 3", diff);
    }

    [Fact]
    public void FingerprintDetectsARenamedEnumValue()
    {
        var reference = ReferenceSchemas.Compile("usp-record-1-4.proto");
        var drifted = reference.Clone();
        var security = drifted.MessageType.Single(m => m.Name == "Record").EnumType.Single(e => e.Name == "PayloadSecurity");
        security.Value.Single(v => v.Number == 1).Name = "TLS13";

        Assert.NotEqual(SchemaFingerprint.Of(reference), SchemaFingerprint.Of(drifted));
    }

    private static void AssertEquivalent(FileDescriptorProto reference, FileDescriptor ours)
    {
        var oursProto = FileDescriptorProto.Parser.ParseFrom(ours.SerializedData);
        var expected = SchemaFingerprint.Of(reference);
        var actual = SchemaFingerprint.Of(oursProto);

        Assert.True(expected.Count > 10, "the reference schema did not compile into anything");
        string diff = SchemaFingerprint.Diff(expected, actual);
        Assert.True(diff.Length == 0, $"{ours.Name} drifted from {reference.Name}:{Environment.NewLine}{diff}");
    }
}

using System.Text;

namespace Usp.Proto.Tests;

/// <summary>
/// A Controller that speaks USP 1.1 encodes with the 1.1 schema; our 1.4 types must read what it sends.
/// The bytes come from protoc and the 1.1 reference files, not from our own code.
/// </summary>
public class Usp11CompatibilityTests
{
    [Fact]
    public void Usp11RecordWithSetRequestDecodesWithOurTypes()
    {
        byte[] msg = ReferenceSchemas.Encode("usp-msg-1-1.proto", "usp.Msg", """
            header { msg_id: "ctrl-42" msg_type: SET }
            body { request { set {
              allow_partial: true
              update_objs {
                obj_path: "Device.LocalAgent.Controller.[EndpointID==\"proto::ctrl\"]."
                param_settings { param: "PeriodicNotifInterval" value: "300" required: true }
              }
            } } }
            """);
        byte[] record = ReferenceSchemas.Encode("usp-record-1-1.proto", "usp_record.Record", $$"""
            version: "1.1"
            to_id: "os::00D09E-0001"
            from_id: "proto::ctrl"
            payload_security: PLAINTEXT
            no_session_context { payload: "{{Escape(msg)}}" }
            """);

        var decoded = Record.Parser.ParseFrom(record);
        Assert.Equal("1.1", decoded.Version);
        Assert.Equal("os::00D09E-0001", decoded.ToId);
        Assert.Equal("proto::ctrl", decoded.FromId);
        Assert.Equal(Record.RecordTypeOneofCase.NoSessionContext, decoded.RecordTypeCase);

        var body = Msg.Parser.ParseFrom(decoded.NoSessionContext.Payload);
        Assert.Equal("ctrl-42", body.Header.MsgId);
        Assert.Equal(Header.Types.MsgType.Set, body.Header.MsgType);
        var set = body.Body.Request.Set;
        Assert.True(set.AllowPartial);
        var update = Assert.Single(set.UpdateObjs);
        Assert.Equal("Device.LocalAgent.Controller.[EndpointID==\"proto::ctrl\"].", update.ObjPath);
        var setting = Assert.Single(update.ParamSettings);
        Assert.Equal(("PeriodicNotifInterval", "300", true), (setting.Param, setting.Value, setting.Required));
    }

    [Fact]
    public void Usp11GetSupportedDmRequestReadsWithNewFieldsAtTheirDefaults()
    {
        byte[] msg = ReferenceSchemas.Encode("usp-msg-1-1.proto", "usp.Msg", """
            header { msg_id: "gsdm-1" msg_type: GET_SUPPORTED_DM }
            body { request { get_supported_dm {
              obj_paths: "Device.LocalAgent."
              first_level_only: true
              return_commands: true
              return_params: true
            } } }
            """);

        var decoded = Msg.Parser.ParseFrom(msg);
        var gsdm = decoded.Body.Request.GetSupportedDm;
        Assert.Equal(["Device.LocalAgent."], gsdm.ObjPaths);
        Assert.True(gsdm.FirstLevelOnly);
        Assert.True(gsdm.ReturnCommands);
        Assert.False(gsdm.ReturnEvents);
        Assert.True(gsdm.ReturnParams);
        Assert.False(gsdm.ReturnUniqueKeySets); // field 6 did not exist in 1.1
    }

    [Fact]
    public void Usp11SessionContextRecordDecodes()
    {
        byte[] record = ReferenceSchemas.Encode("usp-record-1-1.proto", "usp_record.Record", """
            version: "1.1"
            to_id: "proto::agent"
            from_id: "proto::ctrl"
            session_context {
              session_id: 7 sequence_id: 3 expected_id: 4
              payload_sar_state: BEGIN payloadrec_sar_state: NONE
              payload: "abc" payload: "def"
            }
            """);

        var decoded = Record.Parser.ParseFrom(record);
        var session = decoded.SessionContext;
        Assert.Equal((7UL, 3UL, 4UL), (session.SessionId, session.SequenceId, session.ExpectedId));
        Assert.Equal(SessionContextRecord.Types.PayloadSARState.Begin, session.PayloadSarState);
        Assert.Equal(["abc", "def"], session.Payload.Select(p => p.ToStringUtf8()));
    }

    /// <summary>Protobuf text-format escaping of arbitrary bytes (octal escapes throughout).</summary>
    private static string Escape(byte[] bytes)
    {
        var text = new StringBuilder(bytes.Length * 4);
        foreach (byte b in bytes)
        {
            text.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0'));
        }

        return text.ToString();
    }
}

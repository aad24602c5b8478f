namespace Usp.Proto.Tests;

/// <summary>
/// A Controller that speaks USP 1.1 encodes with the 1.1 schema; our 1.4 types must read what it sends.
/// The bytes come from protobufjs and usp-js's USP 1.1 schemas, not from our own code.
/// </summary>
public class Usp11CompatibilityTests
{
    [Fact]
    public void Usp11RecordWithSetRequestDecodesWithOurTypes()
    {
        byte[] msg = UspJsSchemas.Encode("1.1", "usp.Msg", """
            { "header": { "msgId": "ctrl-42", "msgType": "SET" },
              "body": { "request": { "set": {
                "allowPartial": true,
                "updateObjs": [ {
                  "objPath": "Device.LocalAgent.Controller.[EndpointID==\"proto::ctrl\"].",
                  "paramSettings": [ { "param": "PeriodicNotifInterval", "value": "300", "required": true } ]
                } ]
              } } } }
            """);
        byte[] record = UspJsSchemas.Encode("1.1", "usp_record.Record", $$"""
            { "version": "1.1", "toId": "os::00D09E-0001", "fromId": "proto::ctrl", "payloadSecurity": "PLAINTEXT",
              "noSessionContext": { "payload": "{{Convert.ToBase64String(msg)}}" } }
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
        byte[] msg = UspJsSchemas.Encode("1.1", "usp.Msg", """
            { "header": { "msgId": "gsdm-1", "msgType": "GET_SUPPORTED_DM" },
              "body": { "request": { "getSupportedDm": {
                "objPaths": [ "Device.LocalAgent." ],
                "firstLevelOnly": true, "returnCommands": true, "returnParams": true
              } } } }
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
        byte[] record = UspJsSchemas.Encode("1.1", "usp_record.Record", """
            { "version": "1.1", "toId": "proto::agent", "fromId": "proto::ctrl",
              "sessionContext": {
                "sessionId": "7", "sequenceId": "3", "expectedId": "4",
                "payloadSarState": "BEGIN", "payloadrecSarState": "NONE",
                "payload": [ "YWJj", "ZGVm" ] } }
            """);

        var decoded = Record.Parser.ParseFrom(record);
        var session = decoded.SessionContext;
        Assert.Equal((7UL, 3UL, 4UL), (session.SessionId, session.SequenceId, session.ExpectedId));
        Assert.Equal(SessionContextRecord.Types.PayloadSARState.Begin, session.PayloadSarState);
        Assert.Equal(["abc", "def"], session.Payload.Select(p => p.ToStringUtf8()));
    }
}

using Usp.DataModel.Schema;
using Usp.Proto;
using static Usp.Proto.GetSupportedDMResp.Types;

namespace Usp.DataModel.Tests;

/// <summary>A vendor area registered as one class: every TR-106 type, a live sensor value, a table, a command, an event.</summary>
internal sealed class ExampleSensorArea(Func<string> temperature) : IDataModelArea
{
    public void Register(SchemaBuilder builder)
    {
        builder.Object("Device.X_Example.")
            .Computed("Temperature", ParamType.Decimal, _ => temperature())
            .Param("Label", ParamType.String, ParamAccess.ReadWrite, "", maxLength: 8, patterns: [ValuePattern.FromRegex("^[a-z]*$")])
            .Param("Mode", ParamType.String, ParamAccess.ReadWrite, "Auto", enumeration: ["Auto", "Manual"])
            .Param("Count", ParamType.UnsignedInt, ParamAccess.ReadWrite, "0", max: 100)
            .Param("Offset", ParamType.Int, ParamAccess.ReadWrite, "0", min: -50, max: 50)
            .Param("Total", ParamType.UnsignedLong, ParamAccess.ReadWrite)
            .Param("Delta", ParamType.Long, ParamAccess.ReadWrite)
            .Param("Flag", ParamType.Boolean, ParamAccess.ReadWrite)
            .Param("When", ParamType.DateTime, ParamAccess.ReadWrite)
            .Param("Blob", ParamType.Base64, ParamAccess.ReadWrite, maxLength: 4)
            .Param("Mac", ParamType.HexBinary, ParamAccess.ReadWrite, maxLength: 6)
            .Param("Ratio", ParamType.Decimal, ParamAccess.ReadWrite)
            .Param("Ports", ParamType.UnsignedInt, ParamAccess.ReadWrite, "", max: 65535, list: true)
            .Param("Serial", ParamType.String, ParamAccess.WriteOnceReadOnly)
            .NumberOfEntries("Channel")
            .Command("Calibrate()", isAsync: false, inputs: [new ArgumentSchema("Reference", ParamType.Decimal, Mandatory: true)], outputs: [new ArgumentSchema("Error", ParamType.Decimal)])
            .Event("Alarm!", new ArgumentSchema("Level", ParamType.UnsignedInt));
        builder.Object("Device.X_Example.Channel.{i}.").Writable(minEntries: 0, maxEntries: 2).Alias()
            .Key(true, "Number")
            .Param("Number", ParamType.UnsignedInt, ParamAccess.ReadWrite)
            .Param("Tags", ParamType.String, ParamAccess.ReadWrite, "", list: true);
    }
}

public sealed class SchemaAndProviderTests : IDisposable
{
    private string _temperature = "21.5";
    private readonly string _dir = TestAgent.NewDirectory();
    private readonly UspEngine _engine;
    private readonly TestAgentClient _client;

    public SchemaAndProviderTests()
    {
        File.WriteAllText(Path.Combine(_dir, "d.txt"), TestAgent.Defaults);
        _engine = UspEngine.Open(new UspEngineOptions
        {
            DataDirectory = _dir,
            FactoryDefaultsPath = Path.Combine(_dir, "d.txt"),
            EndpointId = TestAgent.AgentId,
            Areas = [new ExampleSensorArea(() => _temperature)],
        });
        _client = new TestAgentClient(_engine);
    }

    public void Dispose()
    {
        _engine.Dispose();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public void LiveValueIsComputedOnEveryRead()
    {
        Assert.Equal("21.5", _engine.GetValue("Device.X_Example.Temperature"));
        _temperature = "22.0";
        Assert.Equal("22.0", _engine.GetValue("Device.X_Example.Temperature"));
    }

    [Theory]
    [InlineData("Label", "abc", "abc", 0u)]
    [InlineData("Label", "ABC", "", ErrorCodes.InvalidValue)]
    [InlineData("Label", "abcdefghi", "", ErrorCodes.InvalidValue)]
    [InlineData("Mode", "Manual", "Manual", 0u)]
    [InlineData("Mode", "Off", "", ErrorCodes.InvalidValue)]
    [InlineData("Count", "+007", "7", 0u)]
    [InlineData("Count", "101", "", ErrorCodes.InvalidValue)]
    [InlineData("Count", "-1", "", ErrorCodes.InvalidType)]
    [InlineData("Count", "4294967296", "", ErrorCodes.InvalidType)]
    [InlineData("Offset", "-50", "-50", 0u)]
    [InlineData("Offset", "-51", "", ErrorCodes.InvalidValue)]
    [InlineData("Offset", "1.5", "", ErrorCodes.InvalidType)]
    [InlineData("Total", "18446744073709551615", "18446744073709551615", 0u)]
    [InlineData("Total", "18446744073709551616", "", ErrorCodes.InvalidType)]
    [InlineData("Delta", "-9223372036854775808", "-9223372036854775808", 0u)]
    [InlineData("Flag", "1", "true", 0u)]
    [InlineData("Flag", "yes", "", ErrorCodes.InvalidType)]
    [InlineData("When", "2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z", 0u)]
    [InlineData("When", "yesterday", "", ErrorCodes.InvalidType)]
    [InlineData("Blob", "AAECAw==", "AAECAw==", 0u)]
    [InlineData("Blob", "AAECAwQ=", "", ErrorCodes.InvalidValue)]
    [InlineData("Blob", "***", "", ErrorCodes.InvalidType)]
    [InlineData("Mac", "00D09E112233", "00D09E112233", 0u)]
    [InlineData("Mac", "00D", "", ErrorCodes.InvalidType)]
    [InlineData("Ratio", "0.125", "0.125", 0u)]
    [InlineData("Ratio", "1/8", "", ErrorCodes.InvalidType)]
    [InlineData("Ports", "80, 443,8080", "80,443,8080", 0u)]
    [InlineData("Ports", "80,70000", "", ErrorCodes.InvalidValue)]
    [InlineData("Temperature", "1", "", ErrorCodes.ParameterNotWritable)]
    public void ValuesAreCheckedAgainstTypesAndFacets(string param, string value, string stored, uint code)
    {
        var resp = _client.Set("Device.X_Example.", param, value);

        var instance = resp.Body.Response.SetResp.UpdatedObjResults[0].OperStatus.OperSuccess.UpdatedInstResults[0];
        if (code == 0)
        {
            Assert.Empty(instance.ParamErrs);
            Assert.Equal(stored, _engine.GetValue("Device.X_Example." + param));
        }
        else
        {
            Assert.Equal(code, Assert.Single(instance.ParamErrs).ErrCode);
        }
    }

    [Fact]
    public void WriteOnceParameterCanBeSetOnceBySet()
    {
        Assert.Empty(_client.Set("Device.X_Example.", "Serial", "A1").Body.Response.SetResp.UpdatedObjResults[0].OperStatus.OperSuccess.UpdatedInstResults[0].ParamErrs);
        var second = _client.Set("Device.X_Example.", "Serial", "B2").Body.Response.SetResp.UpdatedObjResults[0].OperStatus.OperSuccess.UpdatedInstResults[0];
        Assert.Equal(ErrorCodes.ParameterNotWritable, Assert.Single(second.ParamErrs).ErrCode);
        Assert.Equal("A1", _engine.GetValue("Device.X_Example.Serial"));
    }

    [Fact]
    public void TableLimitsAreEnforced()
    {
        Assert.Equal(Header.Types.MsgType.AddResp, _client.AddChannel("1").Header.MsgType);
        Assert.Equal(Header.Types.MsgType.AddResp, _client.AddChannel("2").Header.MsgType);
        var third = _client.AddChannel("3");
        Assert.Equal(ErrorCodes.ObjectCouldNotBeCreated, third.Body.Error.ErrCode);
        Assert.Equal("2", _engine.GetValue("Device.X_Example.ChannelNumberOfEntries"));
    }

    [Fact]
    public void ListContainsAndCompoundKeySearch()
    {
        _client.AddChannel("1", "red,green");
        _client.AddChannel("2", "blue");

        Assert.Equal("1", _engine.GetValue("Device.X_Example.Channel.[Tags~=\"green\"].Number"));
        Assert.Equal("2", _engine.GetValue("Device.X_Example.Channel.[Number==2 && Alias==\"cpe-2\"].Number"));
        Assert.Null(_engine.GetValue("Device.X_Example.Channel.[Tags~=\"gre\"].Number"));
    }

    [Fact]
    public void GetSupportedDmReportsEveryType()
    {
        var request = new GetSupportedDM { ObjPaths = { "Device.X_Example." }, ReturnParams = true, ReturnCommands = true, ReturnEvents = true, FirstLevelOnly = true };
        var resp = _client.Send(new Request { GetSupportedDm = request }, Header.Types.MsgType.GetSupportedDm).Body.Response.GetSupportedDmResp;

        var obj = resp.ReqObjResults[0].SupportedObjs[0];
        var types = obj.SupportedParams.ToDictionary(p => p.ParamName, p => p.ValueType);
        Assert.Equal(ParamValueType.ParamDecimal, types["Temperature"]);
        Assert.Equal(ParamValueType.ParamUnsignedLong, types["Total"]);
        Assert.Equal(ParamValueType.ParamLong, types["Delta"]);
        Assert.Equal(ParamValueType.ParamInt, types["Offset"]);
        Assert.Equal(ParamValueType.ParamBase64, types["Blob"]);
        Assert.Equal(ParamValueType.ParamHexBinary, types["Mac"]);
        Assert.Equal(ParamValueType.ParamDateTime, types["When"]);
        Assert.Equal(ParamAccessType.ParamReadWrite, obj.SupportedParams.Single(p => p.ParamName == "Serial").Access);
        var calibrate = Assert.Single(obj.SupportedCommands);
        Assert.Equal(["Reference"], calibrate.InputArgNames);
        Assert.Equal(["Error"], calibrate.OutputArgNames);
        Assert.Equal(["Level"], Assert.Single(obj.SupportedEvents).ArgNames);
    }

    [Fact]
    public void SchemaBuilderRejectsMisregistrations()
    {
        var builder = new SchemaBuilder();
        Assert.Throws<InvalidOperationException>(() => builder.Object("Device.A.B."));
        builder.Object("Device.A.").Param("P", ParamType.String);
        Assert.Throws<InvalidOperationException>(() => builder.Object("Device.A.").Param("P", ParamType.String));
        Assert.Throws<ArgumentException>(() => builder.Object("Device.A.").Command("Run"));
        Assert.Throws<ArgumentException>(() => builder.Object("Device.A.").Event("Happened"));
    }
}

/// <summary>Minimal Record-level client for an engine built with custom options.</summary>
internal sealed class TestAgentClient(UspEngine engine)
{
    private int _id;

    public Msg Send(Request request, Header.Types.MsgType type)
    {
        var msg = new Msg { Header = new Header { MsgId = "c-" + ++_id, MsgType = type }, Body = new Body { Request = request } };
        var result = engine.HandleRecord(TestAgent.EncodeRecord(msg), Records.SenderIdentity.Unauthenticated);
        return Msg.Parser.ParseFrom(Record.Parser.ParseFrom(Assert.Single(result.ResponseBytes)).NoSessionContext.Payload);
    }

    public Msg Set(string obj, string param, string value) => Send(new Request
    {
        Set = new Set
        {
            AllowPartial = true,
            UpdateObjs = { new Set.Types.UpdateObject { ObjPath = obj, ParamSettings = { new Set.Types.UpdateParamSetting { Param = param, Value = value } } } },
        },
    }, Header.Types.MsgType.Set);

    public Msg AddChannel(string number, string tags = "") => Send(new Request
    {
        Add = new Add
        {
            CreateObjs =
            {
                new Add.Types.CreateObject
                {
                    ObjPath = "Device.X_Example.Channel.",
                    ParamSettings =
                    {
                        new Add.Types.CreateParamSetting { Param = "Number", Value = number, Required = true },
                        new Add.Types.CreateParamSetting { Param = "Tags", Value = tags, Required = true },
                    },
                },
            },
        },
    }, Header.Types.MsgType.Add);
}

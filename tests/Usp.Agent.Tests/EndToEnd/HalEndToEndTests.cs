using Usp.Tests.Support;
using Usp.Proto;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>
/// The real agent on its simulated demo board (relay on line 17 wired to the button on line 27, a BME280), driven
/// over CoAP by the independent node Controller (npm coap + protobufjs with the Broadband Forum schemas).
/// </summary>
public sealed class HalEndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const string Relay = "Device.IoTCapability.1.";
    private const string Button = "Device.IoTCapability.2.";
    private const string Climate = "Device.DeviceInfo.TemperatureStatus.TemperatureSensor.1.";

    [Theory]
    [InlineData(E2ETransport.Coap)]
    [InlineData(E2ETransport.Coaps)]
    public async Task Setting_BinaryControl_Value_over_CoAP_changes_the_looped_back_BinarySensor_and_its_ValueChange_Notify_reaches_the_Controller(E2ETransport transport)
    {
        await using E2EAgent e2e = await E2EAgent.StartAsync(transport);
        var (classes, _) = await e2e.RoundTripAsync(E2EAgent.Get("hal-classes", Relay + "Class", Button + "Class", Button + "BinarySensor.Value"));
        var got = classes.Body.Response.GetResp.ReqPathResults;
        Assert.Equal("BinaryControl", got[0].ResolvedPathResults[0].ResultParams["Class"]);
        Assert.Equal("BinarySensor", got[1].ResolvedPathResults[0].ResultParams["Class"]);
        Assert.Equal("false", got[2].ResolvedPathResults[0].ResultParams["Value"]);
        await SubscribeAsync(e2e, "hal-button", Button + "BinarySensor.Value");

        var set = new Set();
        var update = new Set.Types.UpdateObject { ObjPath = Relay + "BinaryControl." };
        update.ParamSettings.Add(new Set.Types.UpdateParamSetting { Param = "Value", Value = "true", Required = true });
        set.UpdateObjs.Add(update);
        var (setResp, _) = await e2e.RoundTripAsync(E2EAgent.Request("hal-set", Header.Types.MsgType.Set, new Request { Set = set }));
        Assert.NotNull(setResp.Body.Response.SetResp.UpdatedObjResults[0].OperStatus.OperSuccess);

        var (notify, _) = await e2e.WithAgentLogAsync(e2e.Controller.WaitForMsgAsync(
            m => m.Body?.Request?.Notify?.ValueChange?.ParamPath == Button + "BinarySensor.Value", Wait));
        Assert.Equal("hal-button", notify.Body.Request.Notify.SubscriptionId);
        Assert.Equal("true", notify.Body.Request.Notify.ValueChange.ParamValue);
    }

    [Theory]
    [InlineData(E2ETransport.Coap)]
    [InlineData(E2ETransport.Coaps)]
    public async Task A_temperature_sensor_crossing_its_HighAlarmValue_sends_the_HighAlarmTime_ValueChange(E2ETransport transport)
    {
        await using E2EAgent e2e = await E2EAgent.StartAsync(transport);
        await SubscribeAsync(e2e, "hal-alarm", Climate + "HighAlarmTime");
        var (before, _) = await e2e.RoundTripAsync(E2EAgent.Get("hal-before", Climate + "HighAlarmTime", Climate + "Value", Climate + "Status"));
        var values = before.Body.Response.GetResp.ReqPathResults;
        Assert.Equal("0001-01-01T00:00:00Z", values[0].ResolvedPathResults[0].ResultParams["HighAlarmTime"]);
        Assert.Equal("Enabled", values[2].ResolvedPathResults[0].ResultParams["Status"]);

        // The simulated room is at 19–25 °C: an alarm value of 0 °C is crossed at the next reading.
        var set = new Set();
        var update = new Set.Types.UpdateObject { ObjPath = Climate };
        update.ParamSettings.Add(new Set.Types.UpdateParamSetting { Param = "HighAlarmValue", Value = "0", Required = true });
        set.UpdateObjs.Add(update);
        var (setResp, _) = await e2e.RoundTripAsync(E2EAgent.Request("hal-alarm-set", Header.Types.MsgType.Set, new Request { Set = set }));
        Assert.NotNull(setResp.Body.Response.SetResp.UpdatedObjResults[0].OperStatus.OperSuccess);

        var (notify, _) = await e2e.WithAgentLogAsync(e2e.Controller.WaitForMsgAsync(
            m => m.Body?.Request?.Notify?.ValueChange?.ParamPath == Climate + "HighAlarmTime", Wait));
        Assert.Equal("hal-alarm", notify.Body.Request.Notify.SubscriptionId);
        Assert.NotEqual("0001-01-01T00:00:00Z", notify.Body.Request.Notify.ValueChange.ParamValue);
        Assert.EndsWith("Z", notify.Body.Request.Notify.ValueChange.ParamValue, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_with_hal_linux_and_no_such_hardware_says_what_it_did_not_find_and_keeps_serving()
    {
        await using var controller = await NodeUspController.StartAsync(E2EAgent.ControllerId, autoNotifyResp: true);
        using var directory = new Hosting.TempDirectory();
        File.WriteAllText(directory.File("factory-defaults.txt"), E2EAgent.FactoryDefaultsFor(controller.Port));
        File.WriteAllText(directory.File("hal.json"), """
            { "Hal": { "Devices": [
                { "Name": "relay", "Type": "gpio-output", "Chip": "usp-test-no-such-chip", "Line": "17" },
                { "Name": "climate", "Type": "bme280", "Bus": 250, "Address": "0x76", "PollInterval": 0.2 } ] } }
            """);
        await using var agent = await AgentProcess.StartAsync(directory.File("var"), directory.File("factory-defaults.txt"), FreePort.Udp(),
            "--endpoint-id", E2EAgent.AgentId, "--hal", "linux", "--config", directory.File("hal.json"));

        var get = E2EAgent.Get("hal-linux", "Device.DeviceInfo.SoftwareVersion", Climate + "Status", Relay + "Class");
        string id = controller.SendUsp(agent.UriFor($"e/{E2EAgent.AgentId}"), E2EAgent.AgentId, get);
        Assert.Equal("2.04", (string?)(await controller.WaitForCoapResultAsync(id, Wait))["code"]);
        var (resp, _) = await controller.WaitForMsgAsync(m => m.Header.MsgId == "hal-linux", Wait);
        var results = resp.Body.Response.GetResp.ReqPathResults;
        Assert.False(string.IsNullOrEmpty(results[0].ResolvedPathResults[0].ResultParams["SoftwareVersion"]));
        Assert.Equal("BinaryControl", results[2].ResolvedPathResults[0].ResultParams["Class"]);

        Assert.Contains("HAL 'linux'", agent.Output);
        Assert.Contains("Device relay is not available: no GPIO chip is named or labelled 'usp-test-no-such-chip'", agent.Output);
        var deadline = DateTime.UtcNow + Wait;
        while (!agent.Output.Contains("Device climate failed: I2C bus 250 is not there: no /dev/i2c-250", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, agent.Output);
            await Task.Delay(50);
        }
    }

    private static async Task SubscribeAsync(E2EAgent e2e, string id, string reference)
    {
        var add = new Add();
        var create = new Add.Types.CreateObject { ObjPath = "Device.LocalAgent.Subscription." };
        foreach ((string name, string value) in new[] { ("ID", id), ("Enable", "true"), ("NotifType", "ValueChange"), ("ReferenceList", reference) })
        {
            create.ParamSettings.Add(new Add.Types.CreateParamSetting { Param = name, Value = value, Required = true });
        }

        add.CreateObjs.Add(create);
        var (added, _) = await e2e.RoundTripAsync(E2EAgent.Request(id + "-add", Header.Types.MsgType.Add, new Request { Add = add }));
        Assert.NotNull(added.Body.Response.AddResp.CreatedObjResults[0].OperStatus.OperSuccess);
    }
}

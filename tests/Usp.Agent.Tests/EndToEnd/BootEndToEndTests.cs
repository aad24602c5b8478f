using Usp.Proto;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>Device.Reboot() through USP restarts the real agent process, whose Boot! then reports why.</summary>
public sealed class BootEndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(E2ETransport.Coap)]
    [InlineData(E2ETransport.Coaps)]
    public async Task After_Device_Reboot_the_agent_restarts_and_sends_Boot_with_Cause_RemoteReboot_to_a_persistent_subscriber(E2ETransport transport)
    {
        await using E2EAgent e2e = await E2EAgent.StartAsync(transport);
        int pid = e2e.Agent.Pid;
        var add = new Add();
        var create = new Add.Types.CreateObject { ObjPath = "Device.LocalAgent.Subscription." };
        foreach ((string name, string value) in new[] { ("ID", "e2e-boot"), ("Enable", "true"), ("NotifType", "Event"), ("ReferenceList", "Device.Boot!"), ("Persistent", "true") })
        {
            create.ParamSettings.Add(new Add.Types.CreateParamSetting { Param = name, Value = value, Required = true });
        }

        add.CreateObjs.Add(create);
        var (added, _) = await e2e.RoundTripAsync(E2EAgent.Request("boot-add", Header.Types.MsgType.Add, new Request { Add = add }));
        Assert.NotNull(added.Body.Response.AddResp.CreatedObjResults[0].OperStatus.OperSuccess);

        var operate = new Operate { Command = "Device.Reboot()", CommandKey = "e2e-reboot", SendResp = true };
        var (operated, _) = await e2e.RoundTripAsync(E2EAgent.Request("boot-reboot", Header.Types.MsgType.Operate, new Request { Operate = operate }));
        Assert.Equal("Device.Reboot()", operated.Body.Response.OperateResp.OperationResults[0].ExecutedCommand);

        var (boot, _) = await e2e.WithAgentLogAsync(e2e.Controller.WaitForMsgAsync(m => m.Body?.Request?.Notify?.Event?.EventName == "Boot!", Wait));

        var notify = boot.Body.Request.Notify;
        Assert.Equal("e2e-boot", notify.SubscriptionId);
        Assert.Equal("Device.", notify.Event.ObjPath);
        Assert.Equal("RemoteReboot", notify.Event.Params["Cause"]);
        Assert.Equal("e2e-reboot", notify.Event.Params["CommandKey"]);
        Assert.Equal(pid, e2e.Agent.Pid);
        Assert.Equal(2, e2e.Agent.Output.Split('\n').Count(l => l.StartsWith("usp-agent ready", StringComparison.Ordinal)));
        Assert.Contains("boot cause: RemoteReboot", e2e.Agent.Output);
    }
}

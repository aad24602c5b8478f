using Usp.Proto;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>Changing Device.LocalAgent.MTP.{i}. over USP moves the CoAP resource without a restart (over coap and coaps).</summary>
public sealed class MtpReconfigurationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(E2ETransport.Coap)]
    [InlineData(E2ETransport.Coaps)]
    public async Task Setting_the_MTP_path_over_USP_moves_the_resource_at_once(E2ETransport transport)
    {
        await using E2EAgent e2e = await E2EAgent.StartAsync(transport);
        var set = new Set();
        var update = new Set.Types.UpdateObject { ObjPath = "Device.LocalAgent.MTP.1.CoAP." };
        update.ParamSettings.Add(new Set.Types.UpdateParamSetting { Param = "Path", Value = "/usp/moved", Required = true });
        set.UpdateObjs.Add(update);
        await e2e.RoundTripAsync(E2EAgent.Request("move-1", Header.Types.MsgType.Set, new Request { Set = set }));

        // The reconfiguration follows the commit asynchronously: poll the new path until it answers.
        string moved = e2e.UriFor("usp/moved");
        Msg? answer = null;
        for (int attempt = 0; answer is null && attempt < 50; attempt++)
        {
            string id = e2e.Controller.SendUsp(moved, E2EAgent.AgentId, E2EAgent.Get($"moved-{attempt}", "Device.LocalAgent.MTP.1.Status"));
            var sent = await e2e.Controller.WaitForCoapResultAsync(id, Wait);
            if ((string?)sent["code"] == "2.04")
            {
                (answer, _) = await e2e.Controller.WaitForMsgAsync(m => m.Header.MsgId == $"moved-{attempt}", Wait);
            }
            else
            {
                Assert.Equal("4.04", (string?)sent["code"]);
                await Task.Delay(100);
            }
        }

        Assert.NotNull(answer);
        Assert.Equal("Up", answer.Body.Response.GetResp.ReqPathResults[0].ResolvedPathResults[0].ResultParams["Status"]);
        string old = e2e.Controller.SendUsp(e2e.AgentUri, E2EAgent.AgentId, E2EAgent.Get("old-1", "Device."));
        Assert.Equal("4.04", (string?)(await e2e.Controller.WaitForCoapResultAsync(old, Wait))["code"]);
    }

    /// <summary>
    /// The coaps MTP turned off over USP (over itself) ends its DTLS sessions with close_notify and reads Down; turned on
    /// again (by local administration: no MTP is left to ask over) it serves again; a new Port over USP moves it, the
    /// old port is released and the sessions there end with close_notify too.
    /// </summary>
    [Fact]
    public async Task Over_coaps_disabling_the_MTP_over_USP_sends_close_notify_and_reads_Down_and_enabling_it_and_a_new_Port_serve_again()
    {
        await using E2EAgent e2e = await E2EAgent.StartAsync(E2ETransport.Coaps);
        CoapsBridge bridge = e2e.Primary.Bridge!;
        Assert.Equal("Up", await StatusOverUspAsync(e2e, "status-1"));
        int closed = ClosedByAgent(bridge);

        // The 2.04 comes before the Set is applied; its SetResp may or may not leave before the MTP goes.
        string off = e2e.Controller.SendUsp(e2e.AgentUri, E2EAgent.AgentId, SetMtp("off-1", "Enable", "false"));
        Assert.Equal("2.04", (string?)(await e2e.Controller.WaitForCoapResultAsync(off, Wait))["code"]);
        Assert.True(await CoapsEndToEndTestsEventually(() => ClosedByAgent(bridge) > closed), $"no close_notify from the agent:{Environment.NewLine}{bridge.Log.Text}{Environment.NewLine}{e2e.Agent.Output}");
        Assert.True(await EventuallyAsync(async () => await StatusLocallyAsync(e2e) == "Down"), $"Status: {await StatusLocallyAsync(e2e)}");
        Assert.True(FreePort.IsUdpFree(e2e.Agent.CoapsPort), "the disabled MTP's port is still bound");

        var (exit, _, error) = await AgentProcess.CliAsync("set", "Device.LocalAgent.MTP.1.Enable=true", "--data-dir", e2e.Agent.DataDir);
        Assert.True(exit == 0, error);
        Assert.True(await EventuallyAsync(async () => await StatusLocallyAsync(e2e) == "Up"), $"Status: {await StatusLocallyAsync(e2e)}");
        Assert.Equal("Up", await StatusOverUspAsync(e2e, "status-2")); // a new DTLS handshake

        int newPort = FreePort.Udp();
        closed = ClosedByAgent(bridge);
        string move = e2e.Controller.SendUsp(e2e.AgentUri, E2EAgent.AgentId, SetMtp("port-1", "CoAP.Port", newPort.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal("2.04", (string?)(await e2e.Controller.WaitForCoapResultAsync(move, Wait))["code"]);
        Assert.True(await CoapsEndToEndTestsEventually(() => ClosedByAgent(bridge) > closed), $"no close_notify from the old port:{Environment.NewLine}{bridge.Log.Text}");
        bridge.Agent = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, newPort);
        Assert.Equal("Up", await StatusOverUspAsync(e2e, "status-3"));
        Assert.True(FreePort.IsUdpFree(e2e.Agent.CoapsPort), "the old port is still bound");
        Assert.Contains($"serves coaps://127.0.0.1:{newPort}/e/{E2EAgent.AgentId}", e2e.Agent.Output, StringComparison.Ordinal);
    }

    private static Msg SetMtp(string msgId, string param, string value) =>
        E2EAgent.Request(msgId, Header.Types.MsgType.Set, new Request
        {
            Set = new Set
            {
                UpdateObjs =
                {
                    new Set.Types.UpdateObject
                    {
                        ObjPath = "Device.LocalAgent.MTP.1.",
                        ParamSettings = { new Set.Types.UpdateParamSetting { Param = param, Value = value, Required = true } },
                    },
                },
            },
        });

    private static async Task<string> StatusOverUspAsync(E2EAgent e2e, string msgId)
    {
        var (answer, _) = await e2e.WithAgentLogAsync(e2e.RoundTripAsync(E2EAgent.Get(msgId, "Device.LocalAgent.MTP.1.Status")));
        return answer.Body.Response.GetResp.ReqPathResults[0].ResolvedPathResults[0].ResultParams["Status"];
    }

    private static async Task<string> StatusLocallyAsync(E2EAgent e2e)
    {
        var (_, output, error) = await AgentProcess.CliAsync("get", "Device.LocalAgent.MTP.1.Status", "--data-dir", e2e.Agent.DataDir);
        return output.Contains('=', StringComparison.Ordinal) ? output.Split('=').Last().Trim() : output + error;
    }

    private static int ClosedByAgent(CoapsBridge bridge) =>
        bridge.Log.Lines.Count(l => l.Contains("closed: the peer closed the session (close_notify)", StringComparison.Ordinal));

    private static Task<bool> CoapsEndToEndTestsEventually(Func<bool> condition) =>
        Usp.Agent.Tests.Dtls.CoapsEndToEndTests.Eventually(condition, Wait);

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(200);
        }

        return true;
    }
}

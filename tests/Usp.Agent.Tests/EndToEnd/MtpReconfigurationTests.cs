using Usp.Proto;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>Changing Device.LocalAgent.MTP.{i}. over USP moves the CoAP resource without a restart.</summary>
public sealed class MtpReconfigurationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Setting_the_MTP_path_over_USP_moves_the_resource_at_once()
    {
        await using E2EAgent e2e = await E2EAgent.StartAsync();
        var set = new Set();
        var update = new Set.Types.UpdateObject { ObjPath = "Device.LocalAgent.MTP.1.CoAP." };
        update.ParamSettings.Add(new Set.Types.UpdateParamSetting { Param = "Path", Value = "/usp/moved", Required = true });
        set.UpdateObjs.Add(update);
        await e2e.RoundTripAsync(E2EAgent.Request("move-1", Header.Types.MsgType.Set, new Request { Set = set }));

        // The reconfiguration follows the commit asynchronously: poll the new path until it answers.
        string moved = e2e.Agent.UriFor("usp/moved");
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
}

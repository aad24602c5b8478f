using System.Globalization;
using Usp.Proto;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>TP-469 9.9 over CoAP and over coaps with two independent Controllers: the one that configures, the one that is added.</summary>
public sealed class OnBoardingEndToEndTests
{
    private const string SecondaryId = "proto::e2e-secondary";

    [Theory]
    [InlineData(E2ETransport.Coap)]
    [InlineData(E2ETransport.Coaps)]
    public async Task Tp469_9_9_AddedControllerReceivesOnBoardRequestWithTheDevicesIdentity(E2ETransport transport)
    {
        await using E2EAgent e2e = await E2EAgent.StartAsync(transport);
        await using E2EController secondary = await e2e.StartControllerAsync(SecondaryId);

        // Steps 1-2: the new Controller and its CoAP MTP, added by the primary Controller.
        var (controller, _) = await e2e.WithAgentLogAsync(e2e.RoundTripAsync(E2EAgent.Add("ob-9-9-controller", "Device.LocalAgent.Controller.",
            ("Alias", "usp-111-Controller"), ("EndpointID", SecondaryId), ("Enable", "true"),
            ("AssignedRole", "Device.LocalAgent.ControllerTrust.Role.1"))));
        string added = E2EAgent.Created(controller);
        var (mtp, _) = await e2e.RoundTripAsync(E2EAgent.Add("ob-9-9-mtp", added + "MTP.",
            ("Enable", "true"), ("Protocol", "CoAP"), ("CoAP.Host", "127.0.0.1"),
            ("CoAP.Port", secondary.MtpPort.ToString(CultureInfo.InvariantCulture)), ("CoAP.Path", "ctrl"),
            ("CoAP.EnableEncryption", e2e.Encrypted ? "true" : "false")));   // over coaps the agent checks the secondary's certificate names it
        E2EAgent.Created(mtp);

        // Step 3: SendOnBoardRequest() on the new instance.
        var operate = new Operate { Command = added + "SendOnBoardRequest()", SendResp = true };
        var (operated, _) = await e2e.RoundTripAsync(E2EAgent.Request("ob-9-9-operate", Header.Types.MsgType.Operate, new Request { Operate = operate }));
        Assert.Equal(added + "SendOnBoardRequest()", Assert.Single(operated.Body.Response.OperateResp.OperationResults).ExecutedCommand);

        // Metrics 1 and 2: the agent reaches the secondary Controller, with a Notify carrying an OnBoardRequest.
        var (notify, _) = await e2e.WithAgentLogAsync(secondary.Node.WaitForMsgAsync(
            m => m.Body?.Request?.Notify?.NotificationCase == Notify.NotificationOneofCase.OnBoardReq, TimeSpan.FromSeconds(30)));
        var onBoard = notify.Body.Request.Notify.OnBoardReq;
        Assert.Equal(Header.Types.MsgType.Notify, notify.Header.MsgType);
        Assert.True(notify.Body.Request.Notify.SendResp);
        Assert.Matches("^[0-9A-F]{6}$", onBoard.Oui);
        Assert.NotEmpty(onBoard.ProductClass);
        Assert.NotEmpty(onBoard.SerialNumber);
        Assert.Contains("1.4", onBoard.AgentSupportedProtocolVersions.Split(','));
    }
}

using Usp.Proto;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>
/// A subscription with NotifRetry: the Notify asks for a NotifyResp and is sent again, with its MsgId, until the
/// Controller answers (USPNotifRetryMinimumWaitInterval 1 s here), over coap and over coaps.
/// </summary>
public sealed class NotificationRetryEndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(E2ETransport.Coap)]
    [InlineData(E2ETransport.Coaps)]
    public async Task A_NotifRetry_Notify_is_sent_again_with_its_MsgId_until_the_Controller_answers_with_a_NotifyResp(E2ETransport transport)
    {
        await using E2EAgent e2e = await E2EAgent.StartAsync(transport, autoNotifyResp: false,
            factoryDefaults: (port, encrypted) => E2EAgent.FactoryDefaultsFor(port, encrypted) + "Device.LocalAgent.Controller.1.USPNotifRetryMinimumWaitInterval \"1\"\n");
        var (subscription, _) = await e2e.WithAgentLogAsync(e2e.RoundTripAsync(E2EAgent.Add("retry-sub", "Device.LocalAgent.Subscription.",
            ("ID", "e2e-retry"), ("Enable", "true"), ("NotifType", "ValueChange"), ("ReferenceList", "Device.DeviceInfo.FriendlyName"), ("NotifRetry", "true"))));
        E2EAgent.Created(subscription);
        string name = $"retry-{Guid.NewGuid():N}"[..20];
        await e2e.RoundTripAsync(E2EAgent.Set("retry-set", "Device.DeviceInfo.", "FriendlyName", name));

        var (first, _) = await e2e.WithAgentLogAsync(e2e.Controller.WaitForMsgAsync(m => m.Body?.Request?.Notify?.ValueChange?.ParamValue == name, Wait));
        Assert.True(first.Body.Request.Notify.SendResp);

        // Not answered: the same Notify (same MsgId) comes again after the retry wait.
        var (again, _) = await e2e.WithAgentLogAsync(e2e.Controller.WaitForMsgAsync(m => m.Header.MsgId == first.Header.MsgId, Wait));
        Assert.Equal(Header.Types.MsgType.Notify, again.Header.MsgType);
        Assert.Equal("e2e-retry", again.Body.Request.Notify.SubscriptionId);
        Assert.Equal(name, again.Body.Request.Notify.ValueChange.ParamValue);

        var resp = new Msg
        {
            Header = new Header { MsgId = first.Header.MsgId, MsgType = Header.Types.MsgType.NotifyResp },
            Body = new Body { Response = new Response { NotifyResp = new NotifyResp { SubscriptionId = "e2e-retry" } } },
        };
        string sent = e2e.Controller.SendUsp(e2e.AgentUri, E2EAgent.AgentId, resp);
        Assert.Equal("2.04", (string?)(await e2e.Controller.WaitForCoapResultAsync(sent, Wait))["code"]);
    }
}

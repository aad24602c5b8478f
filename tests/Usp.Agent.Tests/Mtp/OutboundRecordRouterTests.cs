using Usp.Agent.Mtp;
using Usp.DataModel;
using Usp.DataModel.Notifications;

namespace Usp.Agent.Tests.Mtp;

public sealed class OutboundRecordRouterTests
{
    private static readonly ControllerMtp PlainCoap = new("Device.LocalAgent.Controller.1.MTP.1.", "CoAP", "192.0.2.1", 5683, "c", false);
    private static readonly ControllerMtp SecureCoap = new("Device.LocalAgent.Controller.1.MTP.2.", "CoAP", "192.0.2.1", 5684, "c", true);
    private static readonly ControllerMtp Mqtt = new("Device.LocalAgent.Controller.1.MTP.3.", "MQTT", "192.0.2.1", 1883, "", false);

    [Fact]
    public async Task The_first_Controller_MTP_row_some_sender_serves_by_protocol_and_encryption_gets_the_Record()
    {
        var router = new OutboundRecordRouter();
        var plain = new FakeSender("CoAP", encrypted: false);
        var secure = new FakeSender("coap", encrypted: true);
        router.Attach(plain);
        router.Attach(secure);
        router.UseControllerMtps(_ => [Mqtt, SecureCoap, PlainCoap]);

        DeliveryResult result = await router.SendAsync("proto::c", new byte[] { 1 }, CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Equal([SecureCoap], secure.SentOver);
        Assert.Empty(plain.SentOver);
    }

    [Fact]
    public async Task A_Controller_with_no_row_a_sender_serves_gets_NoMtp_naming_what_the_agent_can_send_over()
    {
        var router = new OutboundRecordRouter();
        router.Attach(new FakeSender("CoAP", encrypted: false));
        router.UseControllerMtps(_ => [SecureCoap, Mqtt, PlainCoap with { Host = "" }]);

        DeliveryResult result = await router.SendAsync("proto::c", new byte[] { 1 }, CancellationToken.None);

        Assert.Equal(DeliveryOutcome.NoMtp, result.Outcome);
        Assert.Contains("CoAP without encryption", result.Detail);
    }

    [Fact]
    public async Task Before_any_MTP_runs_the_Record_is_not_sent()
    {
        var router = new OutboundRecordRouter();

        DeliveryResult result = await router.SendAsync("proto::c", new byte[] { 1 }, CancellationToken.None);

        Assert.Equal(DeliveryOutcome.NoMtp, result.Outcome);
    }

    private sealed class FakeSender(string protocol, bool encrypted) : IMtpRecordSender
    {
        public List<ControllerMtp> SentOver { get; } = [];

        public string Protocol => protocol;

        public bool Encrypted => encrypted;

        public ValueTask<DeliveryResult> SendAsync(ControllerMtp mtp, string controllerEndpointId, ReadOnlyMemory<byte> record, CancellationToken cancellationToken)
        {
            SentOver.Add(mtp);
            return ValueTask.FromResult(DeliveryResult.Delivered);
        }
    }
}

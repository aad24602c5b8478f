using Usp.Agent.Coap;
using Usp.Agent.Mtp;
using Usp.Agent.Tests.EndToEnd;
using Usp.DataModel.Notifications;
using Usp.Proto;
using Record = Usp.Proto.Record;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.Mtp.Coap;

/// <summary>The CoAP MTP in-process on the in-memory network (see <see cref="CoapMtpBed"/>).</summary>
public sealed class CoapMtpListenerTests
{
    [Fact]
    public async Task Each_MTP_row_is_served_over_a_transport_of_its_security_and_published_as_a_served_endpoint()
    {
        await using var bed = await CoapMtpBed.StartAsync(new TestSecureSession(CoapMtpBed.ControllerId));

        IReadOnlyList<ServedEndpoint> served = bed.Listener.Served.Current;
        Assert.Equal(2, served.Count);
        Assert.Equal(("Device.LocalAgent.MTP.1.", CoapMtpBed.PlainPort, $"e/{CoapMtpBed.AgentId}", false), (served[0].MtpRow, served[0].Port, served[0].Path, served[0].Secure));
        Assert.Equal(("Device.LocalAgent.MTP.2.", CoapMtpBed.SecurePort, $"e/{CoapMtpBed.AgentId}", true), (served[1].MtpRow, served[1].Port, served[1].Path, served[1].Secure));
        Assert.Equal($"coaps://127.0.0.1:{CoapMtpBed.SecurePort}/e/{CoapMtpBed.AgentId}", served[1].Uri);
        Assert.Equal([served[0].Uri, served[1].Uri], await bed.Listener.WhenListening);
        Assert.Equal("Up", bed.Engine.GetValue("Device.LocalAgent.MTP.1.Status"));
        Assert.Equal("Up", bed.Engine.GetValue("Device.LocalAgent.MTP.2.Status"));
    }

    [Fact]
    public async Task Without_a_secure_transport_an_encrypted_MTP_row_is_not_served_in_clear_and_its_Status_is_Error()
    {
        await using var bed = await CoapMtpBed.StartAsync(secure: null);

        ServedEndpoint only = Assert.Single(bed.Listener.Served.Current);
        Assert.False(only.Secure);
        Assert.Equal("Up", bed.Engine.GetValue("Device.LocalAgent.MTP.1.Status"));
        Assert.Equal("Error", bed.Engine.GetValue("Device.LocalAgent.MTP.2.Status"));
    }

    [Fact]
    public async Task A_Record_over_a_secured_session_reaches_the_engine_with_the_authenticated_identity_and_is_answered_over_coaps()
    {
        await using var bed = await CoapMtpBed.StartAsync(new TestSecureSession(CoapMtpBed.ControllerId));

        byte[] record = E2EAgent.RecordBytes(E2EAgent.Get("genuine", "Device.LocalAgent.EndpointID"), fromId: CoapMtpBed.ControllerId, toId: CoapMtpBed.AgentId);
        Assert.Equal(CoapCode.Changed, (await bed.PostAsync(CoapMtpBed.SecurePort, record, bed.ReplyTo(secure: true))).Code);

        Record answer = bed.NextReceived();
        Assert.Equal(CoapMtpBed.ControllerId, answer.ToId);
        Msg msg = Msg.Parser.ParseFrom(answer.NoSessionContext.Payload);
        Assert.Equal("genuine", msg.Header.MsgId);
        Assert.Equal(Header.Types.MsgType.GetResp, msg.Header.MsgType);
    }

    [Fact]
    public async Task A_Record_whose_from_id_is_not_the_identity_the_session_authenticated_is_dropped_by_the_engine()
    {
        await using var bed = await CoapMtpBed.StartAsync(new TestSecureSession("proto::someone-else"));

        // Both from the same Controller, so one lane, handled in order: the first answer is the plain one's.
        byte[] impostor = E2EAgent.RecordBytes(E2EAgent.Get("impostor", "Device.LocalAgent.EndpointID"), fromId: CoapMtpBed.ControllerId, toId: CoapMtpBed.AgentId);
        byte[] plain = E2EAgent.RecordBytes(E2EAgent.Get("plain", "Device.LocalAgent.EndpointID"), fromId: CoapMtpBed.ControllerId, toId: CoapMtpBed.AgentId);
        Assert.Equal(CoapCode.Changed, (await bed.PostAsync(CoapMtpBed.SecurePort, impostor, bed.ReplyTo(secure: true))).Code);
        Assert.Equal(CoapCode.Changed, (await bed.PostAsync(CoapMtpBed.PlainPort, plain, bed.ReplyTo(secure: false))).Code);

        Assert.Equal("plain", Msg.Parser.ParseFrom(bed.NextReceived().NoSessionContext.Payload).Header.MsgId);
    }

    [Fact]
    public async Task A_Record_over_a_secured_session_that_asks_for_a_plain_reply_to_is_refused()
    {
        await using var bed = await CoapMtpBed.StartAsync(new TestSecureSession(CoapMtpBed.ControllerId));

        byte[] record = E2EAgent.RecordBytes(E2EAgent.Get("m", "Device.LocalAgent.EndpointID"), fromId: CoapMtpBed.ControllerId, toId: CoapMtpBed.AgentId);
        CoapResponse response = await bed.PostAsync(CoapMtpBed.SecurePort, record, bed.ReplyTo(secure: false));

        Assert.Equal(CoapCode.BadRequest, response.Code);
        Assert.Contains("coaps only", System.Text.Encoding.UTF8.GetString(response.Payload.Span));
    }

    [Theory]
    [InlineData(CoapMethod.Put, 42, "4.05", "PUT is not allowed on /e/proto::mtp-agent (allowed: POST)")]
    [InlineData(CoapMethod.Post, 0, "4.15", "no Content-Format on /e/proto::mtp-agent (accepted: Content-Format 42)")]
    [InlineData(CoapMethod.Post, 0x113a, "4.15", "Content-Format 4410 on /e/proto::mtp-agent (accepted: Content-Format 42)")]
    public async Task Tp469_5_5_5_6_a_method_other_than_POST_or_a_Content_Format_other_than_42_is_refused_by_the_resource(CoapMethod method, int format, string code, string diagnostic)
    {
        await using var bed = await CoapMtpBed.StartAsync();
        byte[] record = E2EAgent.RecordBytes(E2EAgent.Get("m", "Device."), fromId: CoapMtpBed.ControllerId, toId: CoapMtpBed.AgentId);

        CoapResponse response = await bed.SendAsync(method, CoapMtpBed.PlainPort, record, format == 0 ? null : (ushort)format, bed.ReplyTo(secure: false));

        Assert.Equal(code, response.Code.ToString());
        Assert.EndsWith(diagnostic, System.Text.Encoding.UTF8.GetString(response.Payload.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Record_over_plain_UDP_is_answered_at_its_reply_to()
    {
        await using var bed = await CoapMtpBed.StartAsync();

        byte[] record = E2EAgent.RecordBytes(E2EAgent.Get("plain", "Device.LocalAgent.EndpointID"), fromId: CoapMtpBed.ControllerId, toId: CoapMtpBed.AgentId);
        Assert.Equal(CoapCode.Changed, (await bed.PostAsync(CoapMtpBed.PlainPort, record, bed.ReplyTo(secure: false))).Code);

        Msg msg = Msg.Parser.ParseFrom(bed.NextReceived().NoSessionContext.Payload);
        Assert.Equal("plain", msg.Header.MsgId);
        Assert.Equal(CoapMtpBed.AgentId, msg.Body.Response.GetResp.ReqPathResults[0].ResolvedPathResults[0].ResultParams["EndpointID"]);
    }

    [Fact]
    public async Task Changing_an_MTP_row_closes_and_opens_what_it_serves_and_raises_ServedEndpointsChanged()
    {
        await using var bed = await CoapMtpBed.StartAsync(new TestSecureSession(CoapMtpBed.ControllerId));
        var changed = new TaskCompletionSource<IReadOnlyList<ServedEndpoint>>(TaskCreationOptions.RunContinuationsAsynchronously);
        bed.Listener.Served.Changed += (_, e) => changed.TrySetResult(e.Endpoints);

        Assert.Null(bed.Engine.SetInternal("Device.LocalAgent.MTP.2.CoAP.Path", "/usp/secure"));

        IReadOnlyList<ServedEndpoint> now = await Drive.WithGuard(changed.Task);
        Assert.Equal(["e/" + CoapMtpBed.AgentId, "usp/secure"], now.Select(e => e.Path));
        Assert.Same(now, bed.Listener.Served.Current);
        byte[] record = E2EAgent.RecordBytes(E2EAgent.Get("moved", "Device.LocalAgent.EndpointID"), fromId: CoapMtpBed.ControllerId, toId: CoapMtpBed.AgentId);
        Assert.Equal(CoapCode.NotFound, (await bed.PostAsync(CoapMtpBed.SecurePort, record, bed.ReplyTo(secure: true))).Code);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_notification_goes_over_the_sender_matching_the_Controller_MTP_encryption(bool encrypted)
    {
        await using var bed = await CoapMtpBed.StartAsync(new TestSecureSession(CoapMtpBed.ControllerId), controllerEncrypted: encrypted);
        byte[] notify = E2EAgent.RecordBytes(E2EAgent.Get("as-notify", "Device."), fromId: CoapMtpBed.AgentId, toId: CoapMtpBed.ControllerId);
        var sent = new List<(int From, int To)>();
        bed.Network.Filter = (from, to, _) =>
        {
            lock (sent)
            {
                sent.Add((from.Port, to.Port));
            }

            return true;
        };

        DeliveryResult result = await Drive.UntilDone(bed.Clock, bed.Router.SendAsync(CoapMtpBed.ControllerId, notify, CancellationToken.None).AsTask());

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal("as-notify", Msg.Parser.ParseFrom(bed.NextReceived().NoSessionContext.Payload).Header.MsgId);
        Assert.Contains((encrypted ? CoapMtpBed.SecurePort : CoapMtpBed.PlainPort, bed.ControllerPort), sent);
        Assert.DoesNotContain((encrypted ? CoapMtpBed.PlainPort : CoapMtpBed.SecurePort, bed.ControllerPort), sent);
    }
}

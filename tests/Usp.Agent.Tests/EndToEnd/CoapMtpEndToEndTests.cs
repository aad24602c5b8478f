using System.Text;
using System.Text.Json.Nodes;
using Usp.Proto;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.EndToEnd;

public sealed class E2EAgentFixture : IAsyncLifetime
{
    internal E2EAgent Agent { get; private set; } = null!;

    public async Task InitializeAsync() => Agent = await E2EAgent.StartAsync();

    public async Task DisposeAsync() => await Agent.DisposeAsync();
}

/// <summary>The agent of <see cref="CoapMtpEndToEndOverCoapsTests"/>: coaps only, with a development PKI (see <see cref="E2EAgent"/>).</summary>
public sealed class E2ECoapsAgentFixture : IAsyncLifetime
{
    internal E2EAgent Agent { get; private set; } = null!;

    public async Task InitializeAsync() => Agent = await E2EAgent.StartAsync(E2ETransport.Coaps);

    public async Task DisposeAsync() => await Agent.DisposeAsync();
}

/// <summary>Over plain CoAP: the shared suite, and the cases that only plain CoAP has (see <see cref="CoapMtpEndToEndSuite"/>).</summary>
public sealed class CoapMtpEndToEndTests(E2EAgentFixture fixture) : CoapMtpEndToEndSuite, IClassFixture<E2EAgentFixture>
{
    internal override E2EAgent E2E => fixture.Agent;

    // One raw peer sends as two Controllers in turn; over coaps a peer's certificate names one EndpointID, and a
    // Record from another is dropped for that reason first (Dtls/CoapsEndToEndTests covers it).
    [Fact]
    public async Task A_disabled_Controller_gets_a_204_but_no_USP_answer()
    {
        await using var peer = new RawCoapPeer();
        await peer.SendAsync(RawCoapMessage.Request(2, 0x5005, $"e/{E2EAgent.AgentId}", [$"reply-to={peer.ReplyTo}"], 42,
            E2EAgent.RecordBytes(E2EAgent.Get("off-1", "Device."), E2EAgent.DisabledId)), E2E.AgentPort);
        var (ack, _) = await peer.ReceiveAsync(Wait);
        Assert.Equal("2.04", ack.CodeText);

        // The same peer as an enabled Controller is answered: the first POST to arrive is that answer.
        await peer.SendAsync(RawCoapMessage.Request(2, 0x5006, $"e/{E2EAgent.AgentId}", [$"reply-to={peer.ReplyTo}"], 42,
            E2EAgent.RecordBytes(E2EAgent.Get("on-1", "Device.DeviceInfo.Manufacturer"))), E2E.AgentPort);
        var (body, _, _) = await E2E.WithAgentLogAsync(peer.ReceivePostAsync(Wait));

        Assert.Equal("on-1", E2EAgent.MsgOf(body).Header.MsgId);
    }

    // A Controller that restarts on another port: the agent is still retransmitting an answer to the old one.
    [Fact]
    public async Task An_answer_retransmitted_to_a_silent_reply_to_does_not_hold_up_the_same_Controllers_next_answer()
    {
        await using var silent = new RawCoapPeer();
        await using var live = new RawCoapPeer();
        await silent.SendAsync(RawCoapMessage.Request(2, 0x5101, $"e/{E2EAgent.AgentId}", [$"reply-to={silent.ReplyTo}"], 42,
            E2EAgent.RecordBytes(E2EAgent.Get("silent-1", "Device.DeviceInfo.Manufacturer"))), E2E.AgentPort);
        RawCoapMessage unacknowledged = await NextPostAsync(silent);   // never acknowledged

        await live.SendAsync(RawCoapMessage.Request(2, 0x5102, $"e/{E2EAgent.AgentId}", [$"reply-to={live.ReplyTo}"], 42,
            E2EAgent.RecordBytes(E2EAgent.Get("live-1", "Device.DeviceInfo.Manufacturer"))), E2E.AgentPort);
        var (body, _, _) = await E2E.WithAgentLogAsync(live.ReceivePostAsync(Wait));
        Assert.Equal("live-1", E2EAgent.MsgOf(body).Header.MsgId);

        // The first answer's exchange was still going on when the second answer went out: it is retransmitted after.
        RawCoapMessage retransmitted = await NextPostAsync(silent);
        Assert.Equal(unacknowledged.MessageId, retransmitted.MessageId);
        Assert.Equal("silent-1", E2EAgent.MsgOf(retransmitted.Payload).Header.MsgId);
    }

    // The admin socket, not an MTP: nothing to repeat over coaps.
    [Fact]
    public async Task Usp_agent_get_answers_from_the_running_agent()
    {
        var (exit, output, error) = await AgentProcess.CliAsync("get", "Device.LocalAgent.EndpointID", "--data-dir", E2E.Agent.DataDir);

        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.Equal($"Device.LocalAgent.EndpointID = {E2EAgent.AgentId}", output.Trim());
    }

    // The banner's coaps command (development identity) is Dtls/CtlOverCoapsTests' first test.
    [Fact]
    public async Task The_banner_names_the_EndpointID_and_a_ctl_command_that_works()
    {
        string banner = E2E.Agent.Output;
        Assert.Contains($"endpoint id: {E2EAgent.AgentId}", banner);
        string command = banner.Split('\n').Single(l => l.StartsWith("query it: ", StringComparison.Ordinal))["query it: ".Length..].Trim();

        // Pasted into a shell as it is.
        var (exit, output, error) = await Tool.RunAsync("/bin/sh", ["-c", command]);

        Assert.True(exit == 0, $"{command}: exit {exit}: {error}");
        Assert.Contains("Device.DeviceInfo.Manufacturer = Usp.Agent", output);
    }
}

/// <summary>
/// The same suite over coaps: an agent serving only coaps, the node Controller behind a <see cref="CoapsBridge"/> (its
/// certificate names its EndpointID), raw peers and libcoap's coap-client-openssl with certificates from the test's CA,
/// ctl with --cert/--key/--trust-store. Every Record in both directions travels over DTLS.
/// </summary>
public sealed class CoapMtpEndToEndOverCoapsTests(E2ECoapsAgentFixture fixture) : CoapMtpEndToEndSuite, IClassFixture<E2ECoapsAgentFixture>
{
    internal override E2EAgent E2E => fixture.Agent;

    /// <summary>What makes the suite above a coaps run: no plain CoAP is served, and both directions are DTLS sessions whose certificates named the peers.</summary>
    [Fact]
    public async Task The_agent_serves_only_coaps_and_the_Controller_reaches_it_and_is_reached_over_DTLS_sessions_that_name_both_ends()
    {
        var (mtps, _) = await E2E.RoundTripAsync(E2EAgent.Get("coaps-only", "Device.LocalAgent.MTP."));

        var rows = Assert.Single(mtps.Body.Response.GetResp.ReqPathResults).ResolvedPathResults.Where(r => r.ResultParams.ContainsKey("EnableEncryption")).ToList();
        Assert.Equal("true", Assert.Single(rows).ResultParams["EnableEncryption"]);
        Assert.DoesNotContain("serves coap://", E2E.Agent.Output, StringComparison.Ordinal);
        CoapsBridge bridge = E2E.Primary.Bridge!;
        Assert.Contains($"established: {E2EAgent.ControllerId}", E2E.Agent.Output, StringComparison.Ordinal);
        Assert.Contains($"DTLS session to 127.0.0.1:{bridge.ServerSide.Port} established: {E2EAgent.ControllerId}", E2E.Agent.Output, StringComparison.Ordinal);
        Assert.Contains($"DTLS session to 127.0.0.1:{E2E.Agent.CoapsPort} established: {E2EAgent.AgentId}", bridge.Log.Text, StringComparison.Ordinal);
    }
}

/// <summary>
/// The real usp-agent process driven over CoAP by independent peers: the node Controller (npm coap + protobufjs
/// with the reference schemas), hand-built datagrams, and libcoap's coap-client with Records encoded by protobufjs.
/// Each test here runs twice, over plain CoAP (<see cref="CoapMtpEndToEndTests"/>) and over coaps
/// (<see cref="CoapMtpEndToEndOverCoapsTests"/>).
/// </summary>
public abstract class CoapMtpEndToEndSuite
{
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    internal abstract E2EAgent E2E { get; }

    [Fact]
    public async Task Tp469_5_1_and_5_3_Get_is_acknowledged_204_and_answered_with_content_format_42_and_our_reply_to()
    {
        var (response, e) = await E2E.RoundTripAsync(E2EAgent.Get("get-1", "Device.DeviceInfo.Manufacturer"));

        var result = Assert.Single(response.Body.Response.GetResp.ReqPathResults);
        Assert.Equal(0u, result.ErrCode);
        Assert.Equal("Usp.Agent", Assert.Single(result.ResolvedPathResults).ResultParams["Manufacturer"]);
        Assert.Equal("application/octet-stream", (string?)e["coap"]!["contentFormat"]); // node coap names Content-Format 42
        Assert.Equal(E2EAgent.AgentId, (string?)e["from"]);
        var queries = e["coap"]!["query"]!.AsArray().Select(q => (string?)q).ToList();
        Assert.Contains($"reply-to={E2E.AgentReplyTo}", queries);
    }

    [Fact]
    public async Task Set_Add_GetInstances_Delete_GetSupportedDM_and_GetSupportedProtocol_round_trip()
    {
        var add = new Add { AllowPartial = false };
        var create = new Add.Types.CreateObject { ObjPath = "Device.LocalAgent.Subscription." };
        create.ParamSettings.Add(new Add.Types.CreateParamSetting { Param = "ID", Value = "e2e-crud", Required = true });
        create.ParamSettings.Add(new Add.Types.CreateParamSetting { Param = "NotifType", Value = "ObjectCreation", Required = true });
        add.CreateObjs.Add(create);
        var (added, _) = await E2E.RoundTripAsync(E2EAgent.Request("add-1", Header.Types.MsgType.Add, new Request { Add = add }));
        string instance = added.Body.Response.AddResp.CreatedObjResults[0].OperStatus.OperSuccess.InstantiatedPath;
        Assert.StartsWith("Device.LocalAgent.Subscription.", instance);

        var set = new Set();
        var update = new Set.Types.UpdateObject { ObjPath = instance };
        update.ParamSettings.Add(new Set.Types.UpdateParamSetting { Param = "ReferenceList", Value = "Device.LocalAgent.Controller.", Required = true });
        set.UpdateObjs.Add(update);
        var (setResp, _) = await E2E.RoundTripAsync(E2EAgent.Request("set-1", Header.Types.MsgType.Set, new Request { Set = set }));
        var updated = setResp.Body.Response.SetResp.UpdatedObjResults[0].OperStatus.OperSuccess.UpdatedInstResults[0];
        Assert.Equal("Device.LocalAgent.Controller.", updated.UpdatedParams["ReferenceList"]);

        var instances = new GetInstances { FirstLevelOnly = true };
        instances.ObjPaths.Add("Device.LocalAgent.Subscription.");
        var (listed, _) = await E2E.RoundTripAsync(E2EAgent.Request("inst-1", Header.Types.MsgType.GetInstances, new Request { GetInstances = instances }));
        Assert.Contains(listed.Body.Response.GetInstancesResp.ReqPathResults[0].CurrInsts, i => i.InstantiatedObjPath == instance);

        var delete = new Delete();
        delete.ObjPaths.Add(instance);
        var (deleted, _) = await E2E.RoundTripAsync(E2EAgent.Request("del-1", Header.Types.MsgType.Delete, new Request { Delete = delete }));
        Assert.Equal([instance], deleted.Body.Response.DeleteResp.DeletedObjResults[0].OperStatus.OperSuccess.AffectedPaths);

        var gsdm = new GetSupportedDM { ReturnParams = true, ReturnCommands = true, ReturnEvents = true };
        gsdm.ObjPaths.Add("Device.DeviceInfo.");
        var (supported, _) = await E2E.RoundTripAsync(E2EAgent.Request("gsdm-1", Header.Types.MsgType.GetSupportedDm, new Request { GetSupportedDm = gsdm }));
        var deviceInfo = Assert.Single(supported.Body.Response.GetSupportedDmResp.ReqObjResults[0].SupportedObjs, o => o.SupportedObjPath == "Device.DeviceInfo.");
        Assert.Contains(deviceInfo.SupportedParams, p => p.ParamName == "Manufacturer");

        var (protocol, _) = await E2E.RoundTripAsync(E2EAgent.Request("gsp-1", Header.Types.MsgType.GetSupportedProto,
            new Request { GetSupportedProtocol = new GetSupportedProtocol { ControllerSupportedProtocolVersions = "1.4" } }));
        Assert.Contains("1.4", protocol.Body.Response.GetSupportedProtocolResp.AgentSupportedProtocolVersions.Split(','));
    }

    [Fact]
    public async Task Tp469_5_2_a_Get_of_Device_is_answered_with_a_Block1_POST_of_several_blocks()
    {
        await using var peer = E2E.RawPeer();
        await peer.SendAsync(RawCoapMessage.Request(2, 0x1001, $"e/{E2EAgent.AgentId}", [$"reply-to={peer.ReplyTo}"], 42, E2EAgent.RecordBytes(E2EAgent.Get("big-1", "Device."))), E2E.AgentPort);

        var (body, blocks, first) = await E2E.WithAgentLogAsync(peer.ReceivePostAsync(Wait));

        Assert.True(blocks > 1, $"the {body.Length}-byte answer came in {blocks} block(s)");
        Assert.NotNull(first.UInt(RawCoapMessage.Block1));
        Assert.Equal(42u, first.UInt(RawCoapMessage.ContentFormat));
        Assert.Equal((uint)body.Length, first.UInt(RawCoapMessage.Size1));
        var results = E2EAgent.MsgOf(body).Body.Response.GetResp.ReqPathResults;
        Assert.Contains(results[0].ResolvedPathResults, r => r.ResolvedPath == "Device.DeviceInfo.");
    }

    [Fact]
    public async Task Tp469_5_4_a_Controller_that_does_not_acknowledge_gets_the_GetResp_retransmitted()
    {
        await using var peer = E2E.RawPeer();
        await peer.SendAsync(RawCoapMessage.Request(2, 0x2002, $"e/{E2EAgent.AgentId}", [$"reply-to={peer.ReplyTo}"], 42, E2EAgent.RecordBytes(E2EAgent.Get("rtx-1", "Device.LocalAgent."))), E2E.AgentPort);

        RawCoapMessage original = await NextPostAsync(peer);
        var (again, from) = await NextPostFromAsync(peer);
        await peer.ReplyAsync(again, from, 0x44); // now the Controller acknowledges (step 6), which frees its lane

        Assert.Equal(original.MessageId, again.MessageId);
        Assert.Equal(RawCoapMessage.Con, again.Type);
        Assert.Equal(original.Payload, again.Payload);
    }

    [Fact]
    public async Task Tp469_5_5_method_code_0_06_gets_4_05()
    {
        await using var peer = E2E.RawPeer();
        await peer.SendAsync(RawCoapMessage.Request(0x06, 0x3003, $"e/{E2EAgent.AgentId}", [$"reply-to={peer.ReplyTo}"], 42, E2EAgent.RecordBytes(E2EAgent.Get("m-1", "Device."))), E2E.AgentPort);

        var (answer, _) = await peer.ReceiveAsync(Wait);

        Assert.Equal("4.05", answer.CodeText);
        Assert.Equal(0x3003, answer.MessageId);
    }

    [Fact]
    public async Task Tp469_5_6_content_format_0x113a_gets_4_15()
    {
        string id = E2E.Controller.SendCoap(E2E.AgentUri, "POST", [$"reply-to={E2E.Controller.ReplyTo}"], 0x113a, E2EAgent.RecordBytes(E2EAgent.Get("cf-1", "Device."), E2EAgent.ControllerId));

        var result = await E2E.Controller.WaitForCoapResultAsync(id, Wait);

        Assert.Equal("4.15", (string?)result["code"]);
    }

    [Fact]
    public async Task A_POST_without_content_format_gets_4_15()
    {
        string id = E2E.Controller.SendCoap(E2E.AgentUri, "POST", [$"reply-to={E2E.Controller.ReplyTo}"], null, E2EAgent.RecordBytes(E2EAgent.Get("cf-2", "Device."), E2EAgent.ControllerId));

        var result = await E2E.Controller.WaitForCoapResultAsync(id, Wait);

        Assert.Equal("4.15", (string?)result["code"]);
    }

    [Fact]
    public async Task Tp469_5_7_a_malformed_record_gets_4_00()
    {
        string id = E2E.Controller.SendCoap(E2E.AgentUri, "POST", [$"reply-to={E2E.Controller.ReplyTo}"], 42, [0xFF, 0xFF, 0xFF, 0x0A, 0x01]);

        var result = await E2E.Controller.WaitForCoapResultAsync(id, Wait);

        Assert.Equal("4.00", (string?)result["code"]);
        Assert.Contains("USP Record", (string?)result["payload"]);
    }

    [Fact]
    public async Task A_record_without_reply_to_gets_4_00_with_a_diagnostic()
    {
        string id = E2E.Controller.SendCoap(E2E.AgentUri, "POST", [], 42, E2EAgent.RecordBytes(E2EAgent.Get("rt-1", "Device."), E2EAgent.ControllerId));

        var result = await E2E.Controller.WaitForCoapResultAsync(id, Wait);

        Assert.Equal("4.00", (string?)result["code"]);
        Assert.Contains("reply-to", (string?)result["payload"]);
    }

    [Fact]
    public async Task A_GET_gets_4_05()
    {
        string id = E2E.Controller.SendCoap(E2E.AgentUri, "GET", [], null, null);

        var result = await E2E.Controller.WaitForCoapResultAsync(id, Wait);

        Assert.Equal("4.05", (string?)result["code"]);
    }

    [Theory]
    [InlineData("uri")]
    [InlineData("seed")]
    public async Task The_answer_carries_our_reply_to_in_the_form_the_Controller_used(string form)
    {
        await using var peer = E2E.RawPeer();
        string replyTo = form == "uri" ? peer.ReplyTo : $"127.0.0.1:{peer.Port}/raw";
        await peer.SendAsync(RawCoapMessage.Request(2, 0x4004, $"e/{E2EAgent.AgentId}", [$"reply-to={replyTo}"], 42, E2EAgent.RecordBytes(E2EAgent.Get($"form-{form}", "Device.DeviceInfo.Manufacturer"))), E2E.AgentPort);
        if (form == "seed" && E2E.Encrypted)
        {
            // The seed form names no scheme, so it means plain coap: over DTLS the agent refuses it rather than answer in clear.
            var (refusal, _) = await peer.ReceiveAsync(Wait);
            Assert.Equal("4.00", refusal.CodeText);
            Assert.Contains("answers go over coaps only", Encoding.UTF8.GetString(refusal.Payload));
            return;
        }

        var (body, _, first) = await E2E.WithAgentLogAsync(peer.ReceivePostAsync(Wait));

        Assert.Equal(["raw"], first.Strings(RawCoapMessage.UriPath));
        string ours = $"127.0.0.1:{E2E.AgentPort}/e/{E2EAgent.AgentId}";
        Assert.Equal([$"reply-to={(form == "uri" ? (E2E.Encrypted ? "coaps://" : "coap://") + ours : ours)}"], first.Strings(RawCoapMessage.UriQuery));
        Assert.Equal($"form-{form}", E2EAgent.MsgOf(body).Header.MsgId);
    }

    [Fact]
    public async Task The_well_known_core_lists_the_USP_endpoint_resource_with_its_link_attributes()
    {
        var (program, security, authority) = E2E.LibcoapClient();
        var (_, output, error) = await Tool.RunAsync(program, ["-B", "10", "-m", "get", .. security, $"{authority}/.well-known/core"]);

        Assert.Contains($"</e/{E2EAgent.AgentId}>", output + error);
        Assert.Contains("rt=\"bbf.usp.endpoint\";if=\"bbf.usp.a\";ct=42", output);
    }

    [Fact]
    public async Task Libcoap_coap_client_posting_a_protobufjs_encoded_record_gets_the_GetResp_at_its_reply_to()
    {
        await using var peer = E2E.RawPeer();
        string record = await ThirdPartyRecordAsync("libcoap-1", "Device.DeviceInfo.Manufacturer");
        string file = Path.Combine(Path.GetTempPath(), $"usp-record-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(file, Convert.FromHexString(record));
        try
        {
            var (program, security, authority) = E2E.LibcoapClient();
            var posting = Tool.RunAsync(program,
                ["-B", "10", "-m", "post", "-t", "42", "-f", file, .. security, $"{authority}/e/{Uri.EscapeDataString(E2EAgent.AgentId)}?reply-to={peer.ReplyTo}"]);

            var (body, _, _) = await E2E.WithAgentLogAsync(peer.ReceivePostAsync(Wait));
            var (_, output, error) = await posting;

            Assert.DoesNotContain("4.", output + error);
            var response = E2EAgent.MsgOf(body);
            Assert.Equal("libcoap-1", response.Header.MsgId);
            Assert.Equal("Usp.Agent", response.Body.Response.GetResp.ReqPathResults[0].ResolvedPathResults[0].ResultParams["Manufacturer"]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_ValueChange_subscription_delivers_a_Notify_over_CoAP_after_a_Set()
    {
        var add = new Add();
        var create = new Add.Types.CreateObject { ObjPath = "Device.LocalAgent.Subscription." };
        foreach ((string name, string value) in new[] { ("ID", "e2e-vc"), ("Enable", "true"), ("NotifType", "ValueChange"), ("ReferenceList", "Device.DeviceInfo.FriendlyName") })
        {
            create.ParamSettings.Add(new Add.Types.CreateParamSetting { Param = name, Value = value, Required = true });
        }

        add.CreateObjs.Add(create);
        var (added, _) = await E2E.RoundTripAsync(E2EAgent.Request("vc-add", Header.Types.MsgType.Add, new Request { Add = add }));
        Assert.NotNull(added.Body.Response.AddResp.CreatedObjResults[0].OperStatus.OperSuccess);

        string name2 = $"e2e-{Guid.NewGuid():N}"[..20];
        var set = new Set();
        var update = new Set.Types.UpdateObject { ObjPath = "Device.DeviceInfo." };
        update.ParamSettings.Add(new Set.Types.UpdateParamSetting { Param = "FriendlyName", Value = name2, Required = true });
        set.UpdateObjs.Add(update);
        await E2E.RoundTripAsync(E2EAgent.Request("vc-set", Header.Types.MsgType.Set, new Request { Set = set }));

        var (notify, e) = await E2E.Controller.WaitForMsgAsync(
            m => m.Body?.Request?.Notify?.ValueChange?.ParamValue == name2, Wait);

        Assert.Equal("e2e-vc", notify.Body.Request.Notify.SubscriptionId);
        Assert.Equal("Device.DeviceInfo.FriendlyName", notify.Body.Request.Notify.ValueChange.ParamPath);
        Assert.Equal("application/octet-stream", (string?)e["coap"]!["contentFormat"]); // node coap names Content-Format 42
        Assert.Equal("/ctrl", (string?)e["coap"]!["path"]);
    }

    [Fact]
    public async Task Usp_agent_ctl_prints_DeviceInfo_readably()
    {
        var (exit, output, error) = await AgentProcess.CliAsync(["ctl", .. E2E.CtlAgentArguments(), "get", "Device.DeviceInfo."]);

        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.Contains("Device.DeviceInfo.Manufacturer = Usp.Agent", output.Split('\n').Select(l => l.TrimEnd()));
    }

    [Fact]
    public async Task Usp_agent_ctl_json_prints_the_values_as_JSON()
    {
        var (exit, output, error) = await AgentProcess.CliAsync(["ctl", .. E2E.CtlAgentArguments(), "--json", "get", "Device.DeviceInfo.Manufacturer"]);

        Assert.True(exit == 0, $"exit {exit}: {error}");
        var json = System.Text.Json.Nodes.JsonNode.Parse(output)!;
        Assert.Equal("Usp.Agent", (string?)json["get"]![0]!["values"]!["Device.DeviceInfo.Manufacturer"]);
    }

    [Fact]
    public async Task Usp_agent_ctl_reports_a_USP_error_with_exit_status_1()
    {
        var (exit, _, error) = await AgentProcess.CliAsync(["ctl", .. E2E.CtlAgentArguments(), "get", "Device.NoSuchObject."]);

        Assert.Equal(1, exit);
        Assert.Contains("Device.NoSuchObject.", error);
    }

    private protected static async Task<RawCoapMessage> NextPostAsync(RawCoapPeer peer) => (await NextPostFromAsync(peer)).Message;

    private static async Task<(RawCoapMessage Message, System.Net.IPEndPoint From)> NextPostFromAsync(RawCoapPeer peer)
    {
        while (true)
        {
            var (message, from) = await peer.ReceiveAsync(Wait);
            if (message.Code == 2)
            {
                return (message, from);
            }
        }
    }

    /// <summary>A Get Record encoded by protobufjs with usp-js's USP 1.4 schemas (hex), as a third-party Controller would send it.</summary>
    private static async Task<string> ThirdPartyRecordAsync(string msgId, string path)
    {
        RepoPaths.RequireInteropPackages();
        string encoder = Path.Combine(RepoPaths.InteropDir, "usp-encode.js");
        string msg = new JsonObject
        {
            ["header"] = new JsonObject { ["msgId"] = msgId, ["msgType"] = "GET" },
            ["body"] = new JsonObject { ["request"] = new JsonObject { ["get"] = new JsonObject { ["paramPaths"] = new JsonArray(path) } } },
        }.ToJsonString();
        var (msgExit, msgHex, msgError) = await Tool.RunAsync(RepoPaths.Node, [encoder, "1.4", "usp.Msg"], stdin: msg);
        Assert.True(msgExit == 0 && msgHex.Trim().Length > 0, msgError);
        string record = new JsonObject
        {
            ["version"] = "1.4",
            ["toId"] = E2EAgent.AgentId,
            ["fromId"] = E2EAgent.RawId,
            ["noSessionContext"] = new JsonObject { ["payload"] = Convert.ToBase64String(Convert.FromHexString(msgHex.Trim())) },
        }.ToJsonString();
        var (recordExit, recordHex, recordError) = await Tool.RunAsync(RepoPaths.Node, [encoder, "1.4", "usp_record.Record"], stdin: record);
        Assert.True(recordExit == 0 && recordHex.Trim().Length > 0, recordError);
        return recordHex.Trim();
    }
}

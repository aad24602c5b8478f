using System.Globalization;
using System.Text.Json.Nodes;
using Usp.Agent.Tests.EndToEnd;
using Usp.Tests.Support;
using Usp.Proto;
using Record = Usp.Proto.Record;

namespace Usp.Agent.Tests.Discovery;

/// <summary>
/// The real usp-agent in one network namespace, independent mDNS peers in the other (avahi-daemon with
/// avahi-browse, python3-zeroconf, libcoap's coap-client), joined by a veth pair with a private /30.
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class MdnsNetnsTests
{
    private const string Zc = "zc.py";
    private const string AgentService = "_usp-agt-coap._udp";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly string Python = "/usr/bin/python3";

    // The namespace tests run the build output under dotnet inside the namespace, whatever USP_AGENT_UNDER_TEST names.
    private static string BuiltAgentDll => Path.Combine(AppContext.BaseDirectory, "usp-agent.dll");

    private static string MdnsPeers => Path.Combine(RepoPaths.InteropDir, "mdns");

    [NetnsFact]
    public async Task Tp469_8_7_avahi_browse_and_zeroconf_resolve_the_agent_and_coap_client_finds_the_USP_endpoint_at_the_advertised_address()
    {
        await using NetnsPair pair = await NetnsPair.CreateAsync();
        const string id = "proto::mdns-87";
        int port = RandomPort();
        PeerProcess agent = await StartAgentAsync(pair, id, port, FactoryDefaults(port));
        AvahiDaemon avahi = await AvahiDaemon.StartAsync(pair, pair.PeerNs, "browser14");

        // avahi-browse: resolve (-r), terminate after the cache dump (-t), parsable (-p).
        PeerProcess browse = pair.Start(pair.PeerNs, avahi.Environment, "avahi-browse", "-rtp", AgentService);
        string resolved = await browse.WaitForLineAsync(l => l.StartsWith("=;", StringComparison.Ordinal) && l.Contains(";IPv4;", StringComparison.Ordinal), Wait);
        string[] fields = resolved.Split(';');
        Assert.Equal(id, AvahiDaemon.Unescape(fields[3]));
        Assert.Equal("agent14.local", fields[6]);
        Assert.Equal(pair.AgentAddress, fields[7]);
        Assert.Equal(port.ToString(CultureInfo.InvariantCulture), fields[8]);
        Assert.Contains($"\"path=e/{id}\"", fields[9]);
        Assert.Contains("\"name=Test gateway\"", fields[9]);

        JsonObject zc = await ResolveAsync(pair, id);
        Assert.Equal(port, (int)zc["port"]!);
        Assert.Contains(pair.AgentAddress, zc["addresses"]!.AsArray().Select(a => (string)a!));
        Assert.Equal($"e/{id}", (string?)zc["txt"]!["path"]);
        Assert.Equal("Test gateway", (string?)zc["txt"]!["name"]);

        var (_, core, error) = await pair.ExecAsync(pair.PeerNs, Wait, "coap-client-notls", "-m", "get", "-B", "10",
            $"coap://{(string)zc["addresses"]!.AsArray().First(a => !((string)a!).Contains(':', StringComparison.Ordinal))!}:{(int)zc["port"]!}/.well-known/core");
        Assert.Contains($"</e/{id}>", core);
        Assert.Contains("rt=\"bbf.usp.endpoint\"", core + error);
        Assert.Contains("if=\"bbf.usp.a\"", core);
        await agent.WaitForLineAsync(l => l.Contains($"{id}._usp-agt-coap._udp.local announced", StringComparison.Ordinal), Wait);
    }

    [NetnsFact]
    public async Task Tp469_8_5_and_8_6_the_unsolicited_announcement_has_SRV_and_TXT_with_path_and_name_for_every_MTP()
    {
        await using NetnsPair pair = await NetnsPair.CreateAsync();
        const string id = "proto::mdns-85";
        int port = RandomPort(), second = port + 1;
        PeerProcess capture = pair.Start(pair.PeerNs, null, Python, Path.Combine(MdnsPeers, Zc), "capture", "25", pair.PeerAddress);
        await capture.WaitForJsonAsync(j => (string?)j["event"] == "capturing", Wait);
        string defaults = FactoryDefaults(port) + $"""
            Device.LocalAgent.MTP.2.Alias "second"
            Device.LocalAgent.MTP.2.Enable "true"
            Device.LocalAgent.MTP.2.Protocol "CoAP"
            Device.LocalAgent.MTP.2.CoAP.Port "{second}"
            Device.LocalAgent.MTP.2.CoAP.Path "usp/second"
            Device.LocalAgent.MTP.2.CoAP.EnableEncryption "false"

            """;
        PeerProcess agent = await StartAgentAsync(pair, id, port, defaults);
        string[] instances = [$"{id}.{AgentService}.local.", $"{id} (port {second}).{AgentService}.local."];

        // Nobody asked: every response the peer side hears here is unsolicited. Wait until both MTPs were announced.
        await capture.WaitForJsonAsync(
            j => (string?)j["event"] == "packet" && (bool)j["response"]! && instances.All(i => Records(j).Any(r => (string?)r["name"] == i && (int)r["type"]! == 33)),
            Wait);
        List<JsonObject> responses = [.. capture.JsonLines().Where(j => (string?)j["event"] == "packet" && (bool)j["response"]! && (string?)j["source"] == pair.AgentAddress)];
        JsonObject announcement = responses.First(j => instances.All(i => Records(j).Any(r => (string?)r["name"] == i && (int)r["type"]! == 33)));
        Assert.Equal(0, (int)announcement["id"]!);
        Assert.Empty(announcement["questions"]!.AsArray());
        foreach (string instance in instances)
        {
            JsonObject srv = Records(announcement).Single(r => (string?)r["name"] == instance && (int)r["type"]! == 33);
            Assert.Equal("agent14.local.", (string?)srv["server"]);
            JsonObject txt = Records(announcement).Single(r => (string?)r["name"] == instance && (int)r["type"]! == 16);
            string[] strings = [.. txt["txt"]!.AsArray().Select(s => (string)s!)];

            // TP-469 8.6 metric 2: every TXT record has a "path" and a "name" attribute.
            Assert.Contains(strings, s => s.StartsWith("path=", StringComparison.Ordinal));
            Assert.Contains("name=Test gateway", strings);
        }

        Assert.Contains($"path=e/{id}", Records(announcement).Where(r => (int)r["type"]! == 16).SelectMany(r => r["txt"]!.AsArray()).Select(s => (string)s!));
        Assert.Contains("path=usp/second", Records(announcement).Where(r => (int)r["type"]! == 16).SelectMany(r => r["txt"]!.AsArray()).Select(s => (string)s!));
        await agent.WaitForLineAsync(l => l.Contains($"{id}._usp-agt-coap._udp.local announced", StringComparison.Ordinal), Wait);
    }

    [NetnsFact]
    public async Task A_FriendlyName_Set_over_USP_reaches_the_browser_within_2_s_and_stopping_the_agent_withdraws_the_instance_within_2_s()
    {
        await using NetnsPair pair = await NetnsPair.CreateAsync();
        const string id = "proto::mdns-name";
        int port = RandomPort();
        PeerProcess agent = await StartAgentAsync(pair, id, port, FactoryDefaults(port));
        PeerProcess watch = pair.Start(pair.PeerNs, null, Python, Path.Combine(MdnsPeers, Zc), "watch", AgentService, id, "90");
        await watch.WaitForJsonAsync(j => (string?)j["event"] == "added" && (string?)j["txt"]?["name"] == "Test gateway", Wait);

        var (code, output, error) = await pair.ExecAsync(pair.PeerNs, TimeSpan.FromSeconds(60), RepoPaths.FindOnPath("dotnet"), BuiltAgentDll,
            "ctl", "--agent", $"coap://{pair.AgentAddress}:{port}/e/{id}", "set", "Device.DeviceInfo.FriendlyName=Living room");
        double setDone = UnixNow();
        Assert.True(code == 0, $"ctl set failed ({code}): {output}{error}");

        JsonObject updated = await watch.WaitForJsonAsync(j => (string?)j["txt"]?["name"] == "Living room", Wait);
        double seen = (double)updated["time"]!;
        Assert.True(seen - setDone <= 2.0, $"the new name reached the browser {seen - setDone:F2} s after the Set");

        double stopping = UnixNow();
        Assert.Equal(0, await agent.StopAsync());
        JsonObject removed = await watch.WaitForJsonAsync(j => (string?)j["event"] == "removed", Wait);
        double gone = (double)removed["time"]!;
        Assert.True(gone - stopping <= 2.0, $"the instance was removed {gone - stopping:F2} s after SIGTERM");
        Assert.Contains("goodbye sent", agent.Output);
    }

    [NetnsFact]
    public async Task A_responder_already_owning_the_instance_name_makes_the_agent_take_a_new_name_and_say_so()
    {
        await using NetnsPair pair = await NetnsPair.CreateAsync();
        const string id = "proto::mdns-conflict";
        int port = RandomPort();
        PeerProcess owner = pair.Start(pair.PeerNs, null, Python, Path.Combine(MdnsPeers, Zc), "register", AgentService, id, "other14", pair.PeerAddress, "9999", "path=elsewhere", "name=Someone else");
        await owner.WaitForLineAsync(l => l == "registered", Wait);

        PeerProcess agent = await StartAgentAsync(pair, id, port, FactoryDefaults(port));
        string said = await agent.WaitForLineAsync(l => l.Contains("is already in use on the network", StringComparison.Ordinal), Wait);
        Assert.Contains($"'{id}._usp-agt-coap._udp.local'", said);
        Assert.Contains($"'{id} (2)._usp-agt-coap._udp.local'", said);

        JsonObject renamed = await ResolveAsync(pair, id + " (2)");
        Assert.Equal(port, (int)renamed["port"]!);
        Assert.Contains(pair.AgentAddress, renamed["addresses"]!.AsArray().Select(a => (string)a!));

        // The original owner keeps its name and its data.
        JsonObject original = await ResolveAsync(pair, id);
        Assert.Equal(9999, (int)original["port"]!);
    }

    [NetnsFact]
    public async Task Tp469_8_4_a_Controller_host_under_local_is_resolved_through_mDNS_and_the_Controller_receives_Boot()
    {
        await using NetnsPair pair = await NetnsPair.CreateAsync();
        const string id = "proto::mdns-84", controller = "proto::ctrl-84";
        int port = RandomPort(), controllerPort = RandomPort();
        PeerProcess sink = pair.Start(pair.PeerNs, null, Python, Path.Combine(MdnsPeers, "coap-sink.py"), controllerPort.ToString(CultureInfo.InvariantCulture));
        await sink.WaitForJsonAsync(j => (string?)j["event"] == "listening", Wait);

        // zeroconf answers for ctrl84.local once it has registered a service on that host.
        PeerProcess zc = pair.Start(pair.PeerNs, null, Python, Path.Combine(MdnsPeers, Zc), "register", "_usp-ctr-coap._udp", controller, "ctrl84", pair.PeerAddress,
            controllerPort.ToString(CultureInfo.InvariantCulture), "path=ctr");
        await zc.WaitForLineAsync(l => l == "registered", Wait);

        string defaults = FactoryDefaults(port) + ControllerDefaults(controller, "ctrl84.local", controllerPort, "ctr", onBoarded: true) + """
            Device.LocalAgent.Subscription.1.ID "boot-84"
            Device.LocalAgent.Subscription.1.Enable "true"
            Device.LocalAgent.Subscription.1.Recipient "Device.LocalAgent.Controller.2"
            Device.LocalAgent.Subscription.1.NotifType "Event"
            Device.LocalAgent.Subscription.1.ReferenceList "Device.Boot!"
            Device.LocalAgent.Subscription.1.Persistent "true"

            """;
        PeerProcess agent = await StartAgentAsync(pair, id, port, defaults);

        JsonObject request = await sink.WaitForJsonAsync(j => (string?)j["event"] == "request", Wait);
        Assert.Equal("ctr", (string?)request["path"]);
        Msg msg = MsgOf((string)request["payloadHex"]!, out Record record);
        Assert.Equal(controller, record.ToId);
        Assert.Equal("Boot!", msg.Body.Request.Notify.Event.EventName);
        Assert.Equal("boot-84", msg.Body.Request.Notify.SubscriptionId);
        Assert.Contains($"ctrl84.local resolved to {pair.PeerAddress}", agent.Output);
    }

    [NetnsFact]
    public async Task A_Controller_with_no_address_configured_is_found_under_usp_ctr_coap_and_receives_the_OnBoardRequest()
    {
        await using NetnsPair pair = await NetnsPair.CreateAsync();
        const string id = "proto::mdns-disc", controller = "proto::ctrl-disc";
        int port = RandomPort(), controllerPort = RandomPort();
        PeerProcess sink = pair.Start(pair.PeerNs, null, Python, Path.Combine(MdnsPeers, "coap-sink.py"), controllerPort.ToString(CultureInfo.InvariantCulture));
        await sink.WaitForJsonAsync(j => (string?)j["event"] == "listening", Wait);
        PeerProcess zc = pair.Start(pair.PeerNs, null, Python, Path.Combine(MdnsPeers, Zc), "register", "_usp-ctr-coap._udp", controller, "ctrl-disc", pair.PeerAddress,
            controllerPort.ToString(CultureInfo.InvariantCulture), "path=usp/controller");
        await zc.WaitForLineAsync(l => l == "registered", Wait);

        PeerProcess agent = await StartAgentAsync(pair, id, port, FactoryDefaults(port) + ControllerDefaults(controller, "", null, "", onBoarded: false));

        JsonObject request = await sink.WaitForJsonAsync(j => (string?)j["event"] == "request", Wait);
        Assert.Equal("usp/controller", (string?)request["path"]);
        Msg msg = MsgOf((string)request["payloadHex"]!, out Record record);
        Assert.Equal(controller, record.ToId);
        Assert.NotNull(msg.Body.Request.Notify.OnBoardReq);
        Assert.Contains($"Controller {controller} browsed under _usp-ctr-coap._udp: coap://{pair.PeerAddress}:{controllerPort}/usp/controller", agent.Output);
    }

    [NetnsFact]
    public async Task The_avahi_backend_publishes_exactly_one_instance_through_avahi_daemon_and_withdraws_it_when_the_agent_stops()
    {
        await using NetnsPair pair = await NetnsPair.CreateAsync();
        const string id = "proto::mdns-avahi";
        int port = RandomPort();
        string services = pair.Directory.File("services");
        Directory.CreateDirectory(services);
        await AvahiDaemon.StartAsync(pair, pair.AgentNs, "agent14av", services);
        string serviceFile = Path.Combine(services, "usp-agent.service");

        PeerProcess agent = await StartAgentAsync(pair, id, port, FactoryDefaults(port), new Dictionary<string, string>
        {
            ["USPAGENT__Discovery__Backend"] = "avahi",
            ["USPAGENT__Discovery__AvahiServiceFile"] = serviceFile,
        });
        Assert.Contains("through avahi", agent.Output);
        Assert.True(File.Exists(serviceFile));

        PeerProcess watch = pair.Start(pair.PeerNs, null, Python, Path.Combine(MdnsPeers, Zc), "watch", AgentService, id, "90");
        JsonObject seen = await watch.WaitForJsonAsync(j => (string?)j["event"] == "added", Wait);
        Assert.Equal(port, (int)seen["port"]!);
        Assert.Equal("agent14av.local.", (string?)seen["server"]);
        Assert.Equal($"e/{id}", (string?)seen["txt"]!["path"]);

        var (_, listed, _) = await pair.ExecAsync(pair.PeerNs, Wait, Python, Path.Combine(MdnsPeers, Zc), "list", AgentService, "4");
        string[] names = [.. listed.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(j => (string?)j["event"] == "added").Select(j => (string)j["name"]!)];
        Assert.Equal([id], names);
        Assert.DoesNotContain("announced on", agent.Output);

        Assert.Equal(0, await agent.StopAsync());
        Assert.False(File.Exists(serviceFile));
        await watch.WaitForJsonAsync(j => (string?)j["event"] == "removed", Wait);
    }

    internal static int RandomPort() => Random.Shared.Next(20000, 60000);

    internal static async Task<PeerProcess> StartAgentAsync(NetnsPair pair, string endpointId, int port, string factoryDefaults, Dictionary<string, string>? environment = null)
    {
        string dir = pair.Directory.File("agent-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "factory-defaults.txt"), factoryDefaults);
        environment ??= [];
        environment.TryAdd("USPAGENT__Discovery__HostName", "agent14");
        PeerProcess agent = pair.Start(pair.AgentNs, environment, RepoPaths.FindOnPath("dotnet"), BuiltAgentDll, "run",
            "--data-dir", Path.Combine(dir, "var"), "--factory-defaults", Path.Combine(dir, "factory-defaults.txt"), "--endpoint-id", endpointId,
            "--coap-port", port.ToString(CultureInfo.InvariantCulture), "--coaps-port", "0", "--bind", "0.0.0.0", "--log-level", "information");
        await agent.WaitForLineAsync(l => l.StartsWith("usp-agent ready", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        return agent;
    }

    /// <summary>One CoAP MTP on <paramref name="port"/>, FriendlyName "Test gateway", and full access for <c>usp-agent ctl</c>.</summary>
    internal static string FactoryDefaults(int port) =>
        "Device.DeviceInfo.FriendlyName \"Test gateway\"\n"
        + FactoryDefaultsText.AgentCoapMtp(1, port, "", alias: "cpe-1")
        + FactoryDefaultsText.FullAccessRole()
        + FactoryDefaultsText.Controller(1, "proto::usp-agent-ctl", onBoardingComplete: true);

    private static string ControllerDefaults(string endpointId, string host, int? port, string path, bool onBoarded) =>
        FactoryDefaultsText.Controller(2, endpointId, onBoardingComplete: onBoarded)
        + FactoryDefaultsText.ControllerCoapMtp(2, host, port, path);

    private static async Task<JsonObject> ResolveAsync(NetnsPair pair, string instance)
    {
        var (code, output, error) = await pair.ExecAsync(pair.PeerNs, Wait, Python, Path.Combine(MdnsPeers, Zc), "resolve", AgentService, instance, "15");
        Assert.True(code == 0, $"zeroconf did not resolve '{instance}': {output}{error}");
        return JsonNode.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0])!.AsObject();
    }

    private static IEnumerable<JsonObject> Records(JsonObject packet) =>
        packet["records"]?.AsArray().Select(r => r!.AsObject()) ?? [];

    private static Msg MsgOf(string payloadHex, out Record record)
    {
        record = Record.Parser.ParseFrom(Convert.FromHexString(payloadHex));
        return Msg.Parser.ParseFrom(record.NoSessionContext.Payload);
    }

    private static double UnixNow() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
}

/// <summary>The namespace tests run one at a time: each starts the agent and several peers on two shared cores.</summary>
[CollectionDefinition(Name)]
public sealed class NetnsCollection
{
    public const string Name = "network namespaces";
}

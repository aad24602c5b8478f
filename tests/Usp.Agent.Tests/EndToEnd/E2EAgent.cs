using System.Net;
using Usp.Agent.Dtls;
using Usp.Agent.Tests.Hosting;
using Usp.Proto;
using Record = Usp.Proto.Record;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>How the end-to-end Controller reaches the agent: plain CoAP, or CoAP over DTLS (coaps) with certificates.</summary>
public enum E2ETransport
{
    Coap,
    Coaps,
}

/// <summary>
/// A real usp-agent process on a random loopback port, with factory defaults that name the node Controller (its
/// MTP points at the node Controller's own CoAP server), a Controller for <c>usp-agent ctl</c>, one for the raw
/// peers of the tests and a disabled one; all but the disabled one have full access.
/// Over <see cref="E2ETransport.Coaps"/> the agent serves only coaps (MTP.1 with EnableEncryption, a development
/// PKI made for the test: CA, agent certificate, the node Controller's certificate naming its EndpointID), the
/// Controller MTPs have EnableEncryption too, and the node Controller talks through a <see cref="CoapsBridge"/>:
/// every Record in both directions travels over DTLS with both certificates checked.
/// </summary>
internal sealed class E2EAgent : IAsyncDisposable
{
    public const string AgentId = "proto::e2e-agent";
    public const string ControllerId = "proto::e2e-controller";
    public const string RawId = "proto::e2e-raw";
    public const string DisabledId = "proto::e2e-disabled";
    public const string CtlId = "proto::usp-agent-ctl";

    private readonly TempDirectory _directory;

    private readonly string _resourcePath;

    private readonly string[] _agentArguments;

    private E2EAgent(TempDirectory directory, E2EController controller, AgentProcess agent, string resourcePath, E2ETransport transport, DevelopmentIdentity? pki, string[] agentArguments)
    {
        _directory = directory;
        Primary = controller;
        Agent = agent;
        _resourcePath = resourcePath;
        Transport = transport;
        Pki = pki;
        _agentArguments = agentArguments;
    }

    public E2ETransport Transport { get; }

    /// <summary>Over coaps: the test's development PKI (the agent's and the node Controller's certificates); else null.</summary>
    public DevelopmentIdentity? Pki { get; }

    /// <summary>The node Controller with, over coaps, its bridge.</summary>
    public E2EController Primary { get; }

    public NodeUspController Controller => Primary.Node;

    public AgentProcess Agent { get; private set; }

    /// <summary>Whether Controller MTPs the tests configure set CoAP.EnableEncryption.</summary>
    public bool Encrypted => Transport == E2ETransport.Coaps;

    /// <summary>Where the node Controller sends Records for the agent's resource.</summary>
    public string AgentUri => UriFor(_resourcePath);

    /// <summary>The reply-to the agent gives in its own POSTs (coaps:// and the coaps port over coaps).</summary>
    public string AgentReplyTo => Encrypted
        ? $"coaps://127.0.0.1:{Agent.CoapsPort}/{_resourcePath.TrimStart('/')}"
        : Agent.UriFor(_resourcePath);

    public string FactoryDefaults => _directory.File("factory-defaults.txt");

    /// <summary>The URI the node Controller uses for the agent's resource at <paramref name="path"/> (over coaps: the bridge's).</summary>
    public string UriFor(string path) => Primary.UriFor(Agent, path);

    /// <param name="factoryDefaults">The factory-defaults text for the node Controller's port (as the agent reaches it) and
    /// whether MTPs are encrypted; null: <see cref="FactoryDefaultsFor"/>.</param>
    /// <param name="resourcePath">The agent's CoAP resource those factory defaults give its MTP.</param>
    /// <param name="autoNotifyResp">Whether the node Controller answers each Notify that asks for it with a NotifyResp.</param>
    public static async Task<E2EAgent> StartAsync(E2ETransport transport = E2ETransport.Coap, string replyForm = "uri", Func<int, bool, string>? factoryDefaults = null, string resourcePath = "e/" + AgentId, bool autoNotifyResp = true)
    {
        var directory = new TempDirectory();
        bool encrypted = transport == E2ETransport.Coaps;
        DevelopmentIdentity? pki = null;
        int coapsPort = 0;
        if (encrypted)
        {
            pki = new DevelopmentIdentity(directory.File("pki"));
            pki.Generate(AgentId, ControllerId, DateTimeOffset.UtcNow);
            coapsPort = FreePort.Udp();
        }

        E2EController controller = await E2EController.StartAsync(ControllerId, pki, coapsPort, replyForm, autoNotifyResp);
        string defaults = FactoryDefaultsText.WriteFile(directory.Path, (factoryDefaults ?? FactoryDefaultsFor)(controller.MtpPort, encrypted));
        string[] arguments = pki is null
            ? ["--endpoint-id", AgentId]
            : ["--endpoint-id", AgentId, "--cert", pki.AgentCertificate, "--key", pki.AgentKey, "--trust-store", pki.CaCertificate];
        AgentProcess agent = await AgentProcess.StartAsync(directory.File("var"), defaults, encrypted ? 0 : FreePort.Udp(), coapsPort, arguments);
        return new E2EAgent(directory, controller, agent, resourcePath, transport, pki, arguments);
    }

    /// <summary>The agent port raw peers and libcoap send to: its coaps port over coaps.</summary>
    public int AgentPort => Encrypted ? Agent.CoapsPort : Agent.CoapPort;

    /// <summary>A raw CoAP peer; over coaps with a certificate naming <paramref name="endpointId"/>.</summary>
    public RawCoapPeer RawPeer(string endpointId = RawId)
    {
        if (Pki is null)
        {
            return new RawCoapPeer();
        }

        var (certificate, key) = E2EController.CertificateFor(Pki, endpointId);
        return RawCoapPeer.Coaps(certificate, key, Pki.CaCertificate, AgentId);
    }

    /// <summary>The arguments by which <c>usp-agent ctl</c> reaches the agent (over coaps: with a certificate naming ctl's EndpointID).</summary>
    public string[] CtlAgentArguments()
    {
        if (Pki is null)
        {
            return ["--agent", AgentUri];
        }

        var (certificate, key) = E2EController.CertificateFor(Pki, CtlId);
        return ["--agent", AgentReplyTo, "--cert", certificate, "--key", key, "--trust-store", Pki.CaCertificate];
    }

    /// <summary>libcoap's client for this transport: the program, its security arguments (a certificate naming
    /// <paramref name="endpointId"/> over coaps) and the agent's scheme://host:port.</summary>
    public (string Program, string[] Security, string Authority) LibcoapClient(string endpointId = RawId)
    {
        if (Pki is null)
        {
            return ("coap-client-notls", [], $"coap://127.0.0.1:{Agent.CoapPort}");
        }

        var (certificate, key) = E2EController.CertificateFor(Pki, endpointId);
        return ("coap-client-openssl", ["-c", certificate, "-j", key, "-R", Pki.CaCertificate], $"coaps://127.0.0.1:{Agent.CoapsPort}");
    }

    /// <summary>Another node Controller (with its own certificate over coaps), for tests that add a Controller.</summary>
    public Task<E2EController> StartControllerAsync(string endpointId) =>
        E2EController.StartAsync(endpointId, Pki, Agent.CoapsPort);

    /// <summary>Kills the agent with SIGKILL and waits for it to be gone; <paramref name="whileDown"/> runs before the restart.</summary>
    /// <param name="atKill">Runs right after the signal is sent.</param>
    public async Task KillAndRestartAsync(Action<string> whileDown, Action? atKill = null)
    {
        await Agent.KillAsync(atKill);
        whileDown(Agent.DataDir);
        var (dataDir, port, coapsPort) = (Agent.DataDir, Agent.CoapPort, Agent.CoapsPort);
        await Agent.DisposeAsync();
        Agent = await AgentProcess.StartAsync(dataDir, FactoryDefaults, port, coapsPort, _agentArguments);
    }

    /// <param name="encrypted">Over coaps: the agent's MTP.1 serves coaps (no plain CoAP MTP), Controller.1's MTP has EnableEncryption.</param>
    public static string FactoryDefaultsFor(int controllerPort, bool encrypted = false) =>
        "Device.DeviceInfo.Manufacturer \"Usp.Agent\"\n"
        + FactoryDefaultsText.AgentCoapMtp(1, encrypted ? 5684 : 5683, FactoryDefaultsText.EndpointIdPath, encrypted, alias: "cpe-1")
        + FactoryDefaultsText.FullAccessRole()
        + FactoryDefaultsText.Controller(1, ControllerId)
        + FactoryDefaultsText.ControllerCoapMtp(1, "127.0.0.1", controllerPort, "ctrl", encrypted)
        + FactoryDefaultsText.Controller(2, CtlId)
        + FactoryDefaultsText.Controller(3, RawId)
        + FactoryDefaultsText.Controller(4, DisabledId, enable: false);

    public static Msg Request(string msgId, Header.Types.MsgType type, Request request) => new()
    {
        Header = new Header { MsgId = msgId, MsgType = type },
        Body = new Body { Request = request },
    };

    /// <summary>An Add of one object with required parameter settings.</summary>
    public static Msg Add(string msgId, string objPath, params (string Param, string Value)[] settings)
    {
        var create = new Add.Types.CreateObject { ObjPath = objPath };
        foreach ((string param, string value) in settings)
        {
            create.ParamSettings.Add(new Add.Types.CreateParamSetting { Param = param, Value = value, Required = true });
        }

        return Request(msgId, Header.Types.MsgType.Add, new Request { Add = new Add { CreateObjs = { create } } });
    }

    /// <summary>A Set of one required parameter of one object.</summary>
    public static Msg Set(string msgId, string objPath, string param, string value)
    {
        var update = new Set.Types.UpdateObject { ObjPath = objPath };
        update.ParamSettings.Add(new Set.Types.UpdateParamSetting { Param = param, Value = value, Required = true });
        return Request(msgId, Header.Types.MsgType.Set, new Request { Set = new Set { UpdateObjs = { update } } });
    }

    /// <summary>The one instance an AddResp created; fails the test on anything else.</summary>
    public static string Created(Msg response)
    {
        Assert.Equal(Header.Types.MsgType.AddResp, response.Header.MsgType);
        return Assert.Single(response.Body.Response.AddResp.CreatedObjResults).OperStatus.OperSuccess.InstantiatedPath;
    }

    public static Msg Get(string msgId, params string[] paths)
    {
        var get = new Get();
        get.ParamPaths.AddRange(paths);
        return Request(msgId, Header.Types.MsgType.Get, new Request { Get = get });
    }

    public static byte[] RecordBytes(Msg msg, string fromId = RawId, string toId = AgentId) =>
        Google.Protobuf.MessageExtensions.ToByteArray(new Record
        {
            Version = "1.4",
            FromId = fromId,
            ToId = toId,
            NoSessionContext = new NoSessionContextRecord { Payload = Google.Protobuf.MessageExtensions.ToByteString(msg) },
        });

    public static Msg MsgOf(byte[] recordBytes) => Msg.Parser.ParseFrom(Record.Parser.ParseFrom(recordBytes).NoSessionContext.Payload);

    /// <summary>Sends <paramref name="msg"/> through the node Controller and waits for the agent's answer to it.</summary>
    public async Task<(Msg Response, System.Text.Json.Nodes.JsonObject Event)> RoundTripAsync(Msg msg)
    {
        string id = Controller.SendUsp(AgentUri, AgentId, msg);
        var sent = await Controller.WaitForCoapResultAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal("2.04", (string?)sent["code"]);
        return await Controller.WaitForMsgAsync(m => m.Header.MsgId == msg.Header.MsgId, TimeSpan.FromSeconds(30));
    }

    /// <summary>Awaits <paramref name="task"/>; a timeout carries the agent's output, which says why.</summary>
    public async Task<T> WithAgentLogAsync<T>(Task<T> task)
    {
        try
        {
            return await task;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}{Environment.NewLine}agent output:{Environment.NewLine}{Agent.Output}", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The Controller first: what it still has in flight (a NotifyResp, say) is answered while the agent runs, so
        // it exits at once rather than wait out its CoAP retransmissions.
        await Primary.DisposeAsync();
        await Agent.DisposeAsync();
        _directory.Dispose();
    }
}

/// <summary>
/// A node Controller as the agent reaches it: directly over plain CoAP, or over coaps through a <see cref="CoapsBridge"/>
/// that presents a certificate naming its EndpointID (issued by the test's development CA).
/// </summary>
internal sealed class E2EController : IAsyncDisposable
{
    private E2EController(NodeUspController node, CoapsBridge? bridge)
    {
        Node = node;
        Bridge = bridge;
    }

    public NodeUspController Node { get; }

    /// <summary>Over coaps: the DTLS bridge in front of <see cref="Node"/>; else null.</summary>
    public CoapsBridge? Bridge { get; }

    /// <summary>The port a Controller MTP for this Controller names (its coaps server over coaps).</summary>
    public int MtpPort => Bridge?.ServerSide.Port ?? Node.Port;

    /// <param name="pki">null: plain CoAP; else the development PKI whose CA issues this Controller's certificate.</param>
    /// <param name="agentCoapsPort">The agent's coaps port (over coaps).</param>
    public static async Task<E2EController> StartAsync(string endpointId, DevelopmentIdentity? pki, int agentCoapsPort, string replyForm = "uri", bool autoNotifyResp = true)
    {
        if (pki is null)
        {
            return new E2EController(await NodeUspController.StartAsync(endpointId, replyForm, autoNotifyResp: autoNotifyResp), null);
        }

        var (certificate, key) = CertificateFor(pki, endpointId);
        var bridge = new CoapsBridge(certificate, key, pki.CaCertificate, E2EAgent.AgentId, new IPEndPoint(IPAddress.Loopback, agentCoapsPort));
        try
        {
            NodeUspController node = await NodeUspController.StartAsync(endpointId, replyForm, autoNotifyResp: autoNotifyResp,
                replyTo: $"coaps://127.0.0.1:{bridge.ServerSide.Port}/ctrl");
            bridge.Start(new IPEndPoint(IPAddress.Loopback, node.Port));
            return new E2EController(node, bridge);
        }
        catch
        {
            await bridge.DisposeAsync();
            throw;
        }
    }

    /// <summary>The URI the node Controller uses for the agent's resource at <paramref name="path"/>.</summary>
    public string UriFor(AgentProcess agent, string path) =>
        Bridge is null ? agent.UriFor(path) : $"coap://127.0.0.1:{Bridge.ClientSide.Port}/{path.TrimStart('/')}";

    /// <summary>A certificate naming <paramref name="endpointId"/> from the PKI's CA (issued once, then kept beside it).</summary>
    public static (string Certificate, string Key) CertificateFor(DevelopmentIdentity pki, string endpointId)
    {
        if (endpointId == E2EAgent.ControllerId && File.Exists(pki.ControllerCertificate))
        {
            return (pki.ControllerCertificate, pki.ControllerKey);
        }

        string name = Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(endpointId));
        string certificate = Path.Combine(pki.Directory, $"{name}.pem"), key = Path.Combine(pki.Directory, $"{name}.key");
        if (File.Exists(key))
        {
            return (certificate, key);
        }

        using var ca = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(pki.CaCertificate, pki.CaKey);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using var issued = DevelopmentCertificates.IssueEndpoint(ca, endpointId, ["localhost"], [IPAddress.Loopback], now.AddHours(-1), now.AddDays(1));
        DevelopmentCertificates.WritePem(issued, certificate, key);
        return (certificate, key);
    }

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        if (Bridge is not null)
        {
            await Bridge.DisposeAsync();
        }
    }
}

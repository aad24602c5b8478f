using Usp.Agent.Tests.Hosting;
using Usp.Proto;
using Record = Usp.Proto.Record;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>
/// A real usp-agent process on a random loopback port, with factory defaults that name the node Controller (its
/// MTP points at the node Controller's own CoAP server), a Controller for <c>usp-agent ctl</c>, one for the raw
/// peers of the tests and a disabled one; all but the disabled one have full access.
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

    private E2EAgent(TempDirectory directory, NodeUspController controller, AgentProcess agent, string resourcePath)
    {
        _directory = directory;
        Controller = controller;
        Agent = agent;
        _resourcePath = resourcePath;
    }

    public NodeUspController Controller { get; }

    public AgentProcess Agent { get; private set; }

    public string AgentUri => Agent.UriFor(_resourcePath);

    public string FactoryDefaults => _directory.File("factory-defaults.txt");

    /// <param name="factoryDefaults">The factory-defaults text for the node Controller's port; null: <see cref="FactoryDefaultsFor"/>.</param>
    /// <param name="resourcePath">The agent's CoAP resource those factory defaults give its MTP.</param>
    public static async Task<E2EAgent> StartAsync(string replyForm = "uri", Func<int, string>? factoryDefaults = null, string resourcePath = "e/" + AgentId)
    {
        var directory = new TempDirectory();
        NodeUspController controller = await NodeUspController.StartAsync(ControllerId, replyForm, autoNotifyResp: true);
        string defaults = FactoryDefaultsText.WriteFile(directory.Path, (factoryDefaults ?? FactoryDefaultsFor)(controller.Port));
        AgentProcess agent = await AgentProcess.StartAsync(directory.File("var"), defaults, FreePort.Udp(), "--endpoint-id", AgentId);
        return new E2EAgent(directory, controller, agent, resourcePath);
    }

    /// <summary>Kills the agent with SIGKILL and waits for it to be gone; <paramref name="whileDown"/> runs before the restart.</summary>
    /// <param name="atKill">Runs right after the signal is sent.</param>
    public async Task KillAndRestartAsync(Action<string> whileDown, Action? atKill = null)
    {
        await Agent.KillAsync(atKill);
        whileDown(Agent.DataDir);
        var (dataDir, port) = (Agent.DataDir, Agent.CoapPort);
        await Agent.DisposeAsync();
        Agent = await AgentProcess.StartAsync(dataDir, FactoryDefaults, port, "--endpoint-id", AgentId);
    }

    public static string FactoryDefaultsFor(int controllerPort) =>
        "Device.DeviceInfo.Manufacturer \"Usp.Agent\"\n"
        + FactoryDefaultsText.AgentCoapMtp(1, 5683, FactoryDefaultsText.EndpointIdPath, alias: "cpe-1")
        + FactoryDefaultsText.FullAccessRole()
        + FactoryDefaultsText.Controller(1, ControllerId)
        + FactoryDefaultsText.ControllerCoapMtp(1, "127.0.0.1", controllerPort, "ctrl")
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
        await Agent.DisposeAsync();
        await Controller.DisposeAsync();
        _directory.Dispose();
    }
}

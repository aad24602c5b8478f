using Google.Protobuf;
using Usp.DataModel.Records;
using Usp.Proto;

namespace Usp.DataModel.Tests;

/// <summary>
/// An engine in a fresh temporary data directory, driven with real protobuf-encoded Records from
/// the Controller <see cref="ControllerId"/> (Controller.1 in the factory defaults).
/// </summary>
internal sealed class TestAgent : IDisposable
{
    public const string AgentId = "proto::agent-under-test";
    public const string ControllerId = "proto::controller-test";
    public const string OtherControllerId = "proto::controller-other";

    public const string Defaults = """
        # Test factory defaults: two Controllers, the first one is the test's.
        Device.DeviceInfo.Manufacturer "Example Corp"
        Device.DeviceInfo.ManufacturerOUI "00D09E"
        Device.DeviceInfo.SerialNumber "SN-0001"
        Device.DeviceInfo.ProductClass "Gateway"
        Device.LocalAgent.MTP.1.Alias "cpe-1"
        Device.LocalAgent.MTP.1.Enable "true"
        Device.LocalAgent.MTP.1.Protocol "CoAP"
        Device.LocalAgent.MTP.1.CoAP.Port "5683"
        Device.LocalAgent.MTP.1.CoAP.Path "/e/${EndpointID}"
        Device.LocalAgent.Controller.1.Alias "ctrl-1"
        Device.LocalAgent.Controller.1.EndpointID "proto::controller-test"
        Device.LocalAgent.Controller.1.Enable "true"
        Device.LocalAgent.Controller.1.AssignedRole "Device.LocalAgent.ControllerTrust.Role.1"
        Device.LocalAgent.Controller.1.MTP.1.Enable "true"
        Device.LocalAgent.Controller.1.MTP.1.Protocol "CoAP"
        Device.LocalAgent.Controller.1.MTP.1.CoAP.Host "192.0.2.10"
        Device.LocalAgent.Controller.1.MTP.1.CoAP.Port "5690"
        Device.LocalAgent.Controller.1.MTP.1.CoAP.Path "ctrl"
        Device.LocalAgent.Controller.2.Alias "ctrl-2"
        Device.LocalAgent.Controller.2.EndpointID "proto::controller-other"
        Device.LocalAgent.Controller.2.Enable "true"
        Device.LocalAgent.Controller.2.MTP.1.Enable "true"
        Device.LocalAgent.Controller.2.MTP.1.Protocol "CoAP"
        Device.LocalAgent.ControllerTrust.Role.1.Alias "full"
        Device.LocalAgent.ControllerTrust.Role.1.Enable "true"
        Device.LocalAgent.ControllerTrust.Role.1.Name "Full Access"
        Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Enable "true"
        Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Order "1"
        Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Targets "Device."
        Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Param "rw-n"
        Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Obj "rw-n"
        Device.LocalAgent.ControllerTrust.Role.1.Permission.1.InstantiatedObj "rw-n"
        Device.LocalAgent.ControllerTrust.Role.1.Permission.1.CommandEvent "r-xn"
        """;

    private int _nextMsgId;
    private readonly bool _ownsDirectory;

    public TestAgent(string? dataDirectory = null, string? defaults = Defaults, string? endpointId = AgentId, TestLog? log = null,
        AgentHooks? hooks = null, IReadOnlyList<Schema.IDataModelArea>? areas = null, TimeProvider? time = null,
        DeviceIdentitySettings? identity = null, Areas.ProcProcessTable? processes = null)
    {
        _ownsDirectory = dataDirectory is null;
        DataDirectory = dataDirectory ?? NewDirectory();
        Log = log ?? new TestLog();
        string? defaultsPath = null;
        if (defaults is not null)
        {
            defaultsPath = Path.Combine(DataDirectory, "factory-defaults.txt");
            File.WriteAllText(defaultsPath, defaults);
        }
        Engine = UspEngine.Open(new UspEngineOptions
        {
            DataDirectory = DataDirectory,
            FactoryDefaultsPath = defaultsPath,
            EndpointId = endpointId,
            Identity = identity ?? new DeviceIdentitySettings(),
            Log = Log,
            Time = hooks?.Time ?? time ?? TimeProvider.System,
            OutboundSender = hooks?.Sender,
            DeviceRestart = hooks?.Restart,
            SelfTestParticipants = hooks?.SelfTests ?? [],
            Areas = hooks?.Areas ?? areas ?? [],
            Processes = processes,
        });
    }

    public static string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "usp-engine-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public string DataDirectory { get; }
    public UspEngine Engine { get; }
    public TestLog Log { get; }

    public static byte[] EncodeRecord(Msg msg, string from = ControllerId, string to = AgentId, string version = "1.4") => new Record
    {
        Version = version,
        FromId = from,
        ToId = to,
        PayloadSecurity = Record.Types.PayloadSecurity.Plaintext,
        NoSessionContext = new NoSessionContextRecord { Payload = msg.ToByteString() },
    }.ToByteArray();

    /// <summary>Sends a request and returns the single response Msg, decoded from the Record bytes.</summary>
    public Msg Send(Request request, Header.Types.MsgType type, string from = ControllerId, SenderIdentity? sender = null)
    {
        var msg = new Msg
        {
            Header = new Header { MsgId = "msg-" + Interlocked.Increment(ref _nextMsgId), MsgType = type },
            Body = new Body { Request = request },
        };
        var result = Engine.HandleRecord(EncodeRecord(msg, from), sender ?? new SenderIdentity(from));
        Assert.False(result.Dropped, result.DropReason);
        var bytes = Assert.Single(result.ResponseBytes);
        var record = Record.Parser.ParseFrom(bytes);
        Assert.Equal(AgentId, record.FromId);
        Assert.Equal(from, record.ToId);
        Assert.Equal("1.4", record.Version);
        var response = Msg.Parser.ParseFrom(record.NoSessionContext.Payload);
        Assert.Equal(msg.Header.MsgId, response.Header.MsgId);
        return response;
    }

    public GetResp Get(params string[] paths) => Get(0, paths);

    public GetResp Get(uint maxDepth, params string[] paths) => GetAs(ControllerId, maxDepth, paths);

    public GetResp GetAs(string from, uint maxDepth, params string[] paths)
    {
        var get = new Get { MaxDepth = maxDepth };
        get.ParamPaths.AddRange(paths);
        var resp = Send(new Request { Get = get }, Header.Types.MsgType.Get, from);
        Assert.Equal(Header.Types.MsgType.GetResp, resp.Header.MsgType);
        return resp.Body.Response.GetResp;
    }

    /// <summary>The value of one parameter (asserting it resolves to exactly one).</summary>
    public string Value(string path)
    {
        var r = Assert.Single(Get(path).ReqPathResults);
        Assert.Equal(0u, r.ErrCode);
        var resolved = Assert.Single(r.ResolvedPathResults);
        return Assert.Single(resolved.ResultParams).Value;
    }

    public Msg Set(bool allowPartial, params (string ObjPath, (string Param, string Value, bool Required)[] Settings)[] updates)
    {
        var set = new Set { AllowPartial = allowPartial };
        foreach (var (objPath, settings) in updates)
        {
            var u = new Set.Types.UpdateObject { ObjPath = objPath };
            foreach (var (p, v, r) in settings)
                u.ParamSettings.Add(new Set.Types.UpdateParamSetting { Param = p, Value = v, Required = r });
            set.UpdateObjs.Add(u);
        }
        return Send(new Request { Set = set }, Header.Types.MsgType.Set);
    }

    public Msg Add(bool allowPartial, params (string ObjPath, (string Param, string Value, bool Required)[] Settings)[] creates)
    {
        var add = new Add { AllowPartial = allowPartial };
        foreach (var (objPath, settings) in creates)
        {
            var c = new Add.Types.CreateObject { ObjPath = objPath };
            foreach (var (p, v, r) in settings)
                c.ParamSettings.Add(new Add.Types.CreateParamSetting { Param = p, Value = v, Required = r });
            add.CreateObjs.Add(c);
        }
        return Send(new Request { Add = add }, Header.Types.MsgType.Add);
    }

    public Msg Delete(bool allowPartial, params string[] paths)
    {
        var delete = new Delete { AllowPartial = allowPartial };
        delete.ObjPaths.AddRange(paths);
        return Send(new Request { Delete = delete }, Header.Types.MsgType.Delete);
    }

    public GetInstancesResp GetInstances(bool firstLevelOnly, params string[] paths)
    {
        var gi = new GetInstances { FirstLevelOnly = firstLevelOnly };
        gi.ObjPaths.AddRange(paths);
        var resp = Send(new Request { GetInstances = gi }, Header.Types.MsgType.GetInstances);
        return resp.Body.Response.GetInstancesResp;
    }

    public GetSupportedDMResp GetSupportedDm(GetSupportedDM request)
    {
        var resp = Send(new Request { GetSupportedDm = request }, Header.Types.MsgType.GetSupportedDm);
        Assert.Equal(Header.Types.MsgType.GetSupportedDmResp, resp.Header.MsgType);
        return resp.Body.Response.GetSupportedDmResp;
    }

    /// <summary>Adds a Subscription owned by the test Controller and returns its instance path.</summary>
    public string AddSubscription(string id, bool enable = true, string notifExpiration = "0")
    {
        var resp = Add(false, ("Device.LocalAgent.Subscription.",
        [
            ("Enable", enable ? "true" : "false", true),
            ("ID", id, true),
            ("NotifType", "ValueChange", true),
            ("ReferenceList", "Device.LocalAgent.SoftwareVersion", true),
            ("NotifExpiration", notifExpiration, true),
        ]));
        Assert.Equal(Header.Types.MsgType.AddResp, resp.Header.MsgType);
        return resp.Body.Response.AddResp.CreatedObjResults[0].OperStatus.OperSuccess.InstantiatedPath;
    }

    public string AddBootParameter(string controller, string parameterName, bool enable)
    {
        var resp = Add(false, ($"{controller}BootParameter.",
            [("Enable", enable ? "true" : "false", true), ("ParameterName", parameterName, true)]));
        Assert.Equal(Header.Types.MsgType.AddResp, resp.Header.MsgType);
        return resp.Body.Response.AddResp.CreatedObjResults[0].OperStatus.OperSuccess.InstantiatedPath;
    }

    public void Dispose()
    {
        Engine.Dispose();
        if (_ownsDirectory)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Leftover temp files do not affect the result.
            }
        }
    }
}

internal sealed class TestLog : IEngineLog
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
                return _lines.ToList();
        }
    }

    public void Info(string message) => Add("info: " + message);
    public void Warning(string message) => Add("warn: " + message);
    public void Error(string message) => Add("error: " + message);

    private void Add(string line)
    {
        lock (_lines)
            _lines.Add(line);
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

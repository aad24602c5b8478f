using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Usp.DataModel;
using Usp.DataModel.Records;
using Usp.Proto;
using Usp.Tests.Support;

namespace Usp.Bench;

/// <summary>
/// A Get through the engine (Record decode, resolve, read, response encode) with 1 and 1,000 Subscription rows in the
/// data model (1,000: ~17,000 parameters): of all of <c>Device.</c>, and of a search expression over the rows.
///   dotnet run -c Release --project bench/Usp.Bench -- --filter '*EngineGet*'
/// </summary>
[MemoryDiagnoser]
public class EngineGetBenchmarks
{
    private const string Agent = "proto::bench-agent";
    private const string Controller = "proto::bench-controller";
    private string _dataDirectory = "";
    private UspEngine _engine = null!;
    private readonly Msg _get = new()
    {
        Header = new Header { MsgType = Header.Types.MsgType.Get },
        Body = new Body { Request = new Request { Get = new Get { ParamPaths = { "Device." } } } },
    };
    private readonly Msg _search = new()
    {
        Header = new Header { MsgType = Header.Types.MsgType.Get },
        Body = new Body
        {
            Request = new Request
            {
                Get = new Get { ParamPaths = { "Device.LocalAgent.Subscription.[NotifType==\"ValueChange\"&&ID==\"sub-0-0\"].ReferenceList" } },
            },
        },
    };
    private long _msgId;

    [Params(1, 1000)]
    public int Instances { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dataDirectory = Path.Combine(Path.GetTempPath(), "usp-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dataDirectory);
        var defaults = Path.Combine(_dataDirectory, "defaults.txt");
        File.WriteAllText(defaults, FactoryDefaultsText.FullAccessRole() + FactoryDefaultsText.Controller(1, Controller));
        _engine = UspEngine.Open(new UspEngineOptions { DataDirectory = _dataDirectory, FactoryDefaultsPath = defaults, EndpointId = Agent });
        for (int batch = 0; batch * 100 < Instances; batch++)
        {
            var add = new Add { AllowPartial = false };
            for (int i = 0; i < Math.Min(100, Instances - (batch * 100)); i++)
            {
                add.CreateObjs.Add(new Add.Types.CreateObject
                {
                    ObjPath = "Device.LocalAgent.Subscription.",
                    ParamSettings =
                    {
                        new Add.Types.CreateParamSetting { Param = "ID", Value = $"sub-{batch}-{i}" },
                        new Add.Types.CreateParamSetting { Param = "NotifType", Value = "ValueChange" },
                        new Add.Types.CreateParamSetting { Param = "ReferenceList", Value = "Device.LocalAgent.SoftwareVersion" },
                    },
                });
            }
            var msg = new Msg { Header = new Header { MsgId = $"setup-{batch}", MsgType = Header.Types.MsgType.Add }, Body = new Body { Request = new Request { Add = add } } };
            var result = _engine.HandleRecord(Wrap(msg), SenderIdentity.Unauthenticated);
            if (result.Responses.Count != 1)
                throw new InvalidOperationException("Setup Add was not answered: " + result.DropReason);
            Msg answer = Msg.Parser.ParseFrom(Record.Parser.ParseFrom(result.Responses[0].ToByteArray()).NoSessionContext.Payload);
            if (answer.Body.Response?.AddResp is null || answer.Body.Response.AddResp.CreatedObjResults.Any(r => r.OperStatus.OperSuccess is null))
                throw new InvalidOperationException("Setup Add failed: " + answer);
        }

        foreach (Msg request in new[] { _get, _search })
        {
            request.Header.MsgId = "check-" + Interlocked.Increment(ref _msgId);
            var checkResult = _engine.HandleRecord(Wrap(request), SenderIdentity.Unauthenticated);
            Msg answer = Msg.Parser.ParseFrom(Record.Parser.ParseFrom(checkResult.Responses[0].ToByteArray()).NoSessionContext.Payload);
            int parameters = answer.Body.Response?.GetResp?.ReqPathResults.Sum(r => r.ErrCode == 0 ? r.ResolvedPathResults.Sum(p => p.ResultParams.Count) : -1_000_000) ?? -1;
            if (parameters <= 0)
                throw new InvalidOperationException("the Get was not answered as expected: " + answer);
            Console.WriteLine($"// {request.Body.Request.Get.ParamPaths[0]}: {parameters} parameters with {Instances} instances");
        }
    }

    [Benchmark]
    public int GetDevice()
    {
        _get.Header.MsgId = "get-" + Interlocked.Increment(ref _msgId);
        var result = _engine.HandleRecord(Wrap(_get), SenderIdentity.Unauthenticated);
        return result.Responses[0].ToByteArray().Length;
    }

    /// <summary>Path resolution with a search expression: every row is tested against two conditions.</summary>
    [Benchmark]
    public int GetSearchExpression()
    {
        _search.Header.MsgId = "search-" + Interlocked.Increment(ref _msgId);
        var result = _engine.HandleRecord(Wrap(_search), SenderIdentity.Unauthenticated);
        return result.Responses[0].ToByteArray().Length;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Dispose();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    private static byte[] Wrap(Msg msg) => new Record
    {
        Version = "1.4",
        ToId = Agent,
        FromId = Controller,
        NoSessionContext = new NoSessionContextRecord { Payload = msg.ToByteString() },
    }.ToByteArray();
}

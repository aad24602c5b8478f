using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Usp.Proto;

namespace Usp.Bench;

/// <summary>Cost of encoding and decoding a typical Get round trip's Records.</summary>
[MemoryDiagnoser]
public class RecordCodecBenchmarks
{
    private byte[] _getRecord = [];
    private byte[] _getRespRecord = [];

    [GlobalSetup]
    public void Setup()
    {
        _getRecord = Wrap(new Msg
        {
            Header = new Header { MsgId = "bench-1", MsgType = Header.Types.MsgType.Get },
            Body = new Body { Request = new Request { Get = new Get { ParamPaths = { "Device.DeviceInfo." } } } },
        }).ToByteArray();

        var resolved = new GetResp.Types.ResolvedPathResult { ResolvedPath = "Device.DeviceInfo." };
        for (int i = 0; i < 20; i++)
        {
            resolved.ResultParams[$"Parameter{i}"] = $"value number {i}";
        }
        var resp = new GetResp();
        resp.ReqPathResults.Add(new GetResp.Types.RequestedPathResult
        {
            RequestedPath = "Device.DeviceInfo.",
            ResolvedPathResults = { resolved },
        });
        _getRespRecord = Wrap(new Msg
        {
            Header = new Header { MsgId = "bench-1", MsgType = Header.Types.MsgType.GetResp },
            Body = new Body { Response = new Response { GetResp = resp } },
        }).ToByteArray();
    }

    [Benchmark]
    public Msg DecodeGetRecord()
    {
        var record = Record.Parser.ParseFrom(_getRecord);
        return Msg.Parser.ParseFrom(record.NoSessionContext.Payload);
    }

    [Benchmark]
    public int DecodeGetRespRecord()
    {
        var record = Record.Parser.ParseFrom(_getRespRecord);
        return Msg.Parser.ParseFrom(record.NoSessionContext.Payload).Body.Response.GetResp.ReqPathResults.Count;
    }

    private static Record Wrap(Msg msg) => new()
    {
        Version = "1.4",
        ToId = "proto::controller",
        FromId = "proto::agent",
        NoSessionContext = new NoSessionContextRecord { Payload = msg.ToByteString() },
    };
}

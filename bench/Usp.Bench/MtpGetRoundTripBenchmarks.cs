using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Google.Protobuf;
using Usp.Agent;
using Usp.Agent.Coap;
using Usp.Agent.Hosting;
using Usp.Proto;

namespace Usp.Bench;

/// <summary>
/// One USP <c>Get Device.DeviceInfo.</c> round trip through the whole agent, in-process: the composed agent (host,
/// CoAP MTP listener, engine) on a loopback port, and a Controller (our CoapEndpoint + CoapClient + CoapServer) on
/// another that POSTs the Record with a reply-to and waits for the GetResp POST at its own resource.
///   dotnet run -c Release --project bench/Usp.Bench -- --filter '*MtpGetRoundTrip*'
/// The allocations of <see cref="ControllerOnly"/> are the Controller's share: the same Controller against a stub
/// agent on a raw socket that allocates nothing (it acknowledges the POST and POSTs back the bytes the real agent
/// answered with). The agent's allocations per round trip are <see cref="ThroughTheAgent"/> minus
/// <see cref="ControllerOnly"/>. In-process: the generated benchmark project does not see the agent's transitive packages.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InProcessShortRun))]
public class MtpGetRoundTripBenchmarks
{
    private sealed class InProcessShortRun : ManualConfig
    {
        public InProcessShortRun() => AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance));
    }

    private const string AgentId = "proto::bench-agent";
    private const string ControllerId = "proto::bench-controller";
    private static readonly CoapResponse Changed = new(CoapCode.Changed);

    private string _directory = "";
    private AgentHost _host = null!;
    private CoapEndpoint _controllerEndpoint = null!;
    private CoapClient _controller = null!;
    private CoapRequest _toAgent = null!;
    private CoapRequest _toStub = null!;
    private StubAgent _stub = null!;
    private TaskCompletionSource<bool>? _answer;
    private ReadOnlyMemory<byte> _lastAnswer;
    private readonly Msg _get = new()
    {
        Header = new Header { MsgType = Header.Types.MsgType.Get },
        Body = new Body { Request = new Request { Get = new Get { ParamPaths = { "Device.DeviceInfo." } } } },
    };
    private readonly Record _record = new() { Version = "1.4", ToId = AgentId, FromId = ControllerId };
    private long _msgIds;
    private string _stubMsgId = "";

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("ua-bench-").FullName;
        string defaults = Path.Combine(_directory, "factory-defaults.txt");
        File.WriteAllLines(defaults,
        [
            "Device.DeviceInfo.Manufacturer \"Usp.Agent\"",
            "Device.LocalAgent.MTP.1.Enable \"true\"", "Device.LocalAgent.MTP.1.Protocol \"CoAP\"",
            "Device.LocalAgent.MTP.1.CoAP.Path \"/e/${EndpointID}\"", "Device.LocalAgent.MTP.1.CoAP.EnableEncryption \"false\"",
            "Device.LocalAgent.ControllerTrust.Role.1.Enable \"true\"",
            "Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Enable \"true\"",
            "Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Targets \"Device.\"",
            "Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Param \"r---\"",
            "Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Obj \"r---\"",
            "Device.LocalAgent.ControllerTrust.Role.1.Permission.1.InstantiatedObj \"r---\"",
            "Device.LocalAgent.ControllerTrust.Role.1.Permission.1.CommandEvent \"r---\"",
            "Device.LocalAgent.ControllerTrust.UntrustedRole \"Device.LocalAgent.ControllerTrust.Role.1\"",
        ]);
        int agentPort = FreeUdpPort();
        _host = AgentComposition.Compose(new AgentLaunch
        {
            ReadDefaultConfigFile = false,
            Environment = new Dictionary<string, string>(),
            CommandLine = new Dictionary<string, string?>
            {
                ["Agent:DataDir"] = Path.Combine(_directory, "var"),
                ["Agent:FactoryDefaults"] = defaults,
                ["Agent:EndpointId"] = AgentId,
                ["Agent:CoapPort"] = agentPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Agent:CoapsPort"] = "0",
                ["Agent:Bind"] = "127.0.0.1",
                ["Agent:Mdns"] = "false",
                ["Agent:LogLevel"] = "Warning",
            },
            Output = TextWriter.Null,
            CurrentDirectory = _directory,
            ExecutableDirectory = _directory,
        }).Host;
        _host.StartAsync().GetAwaiter().GetResult();

        _controllerEndpoint = CoapEndpoint.BindUdp(new IPEndPoint(IPAddress.Loopback, 0));
        var server = new CoapServer(_controllerEndpoint);
        server.AddResource(new CoapResource("c", (request, _) =>
        {
            _lastAnswer = request.Payload;
            _answer?.TrySetResult(true);
            return ValueTask.FromResult(Changed);
        }));
        _controllerEndpoint.Start();
        _controller = new CoapClient(_controllerEndpoint);

        string replyTo = $"reply-to=coap://127.0.0.1:{_controllerEndpoint.LocalEndPoint.Port}/c";
        _toAgent = Post(new IPEndPoint(IPAddress.Loopback, agentPort), $"e/{AgentId}", replyTo);

        // The agent listens once the host has started; its first answer is what the stub sends back.
        ThroughTheAgent().GetAwaiter().GetResult();
        byte[] answer = _lastAnswer.ToArray();
        Msg msg = Msg.Parser.ParseFrom(Record.Parser.ParseFrom(answer).NoSessionContext.Payload);
        _stubMsgId = msg.Header.MsgId;
        if (msg.Body.Response.GetResp.ReqPathResults[0].ErrCode != 0)
        {
            throw new InvalidOperationException("the agent refused the Get: " + msg);
        }

        _stub = new StubAgent(answer);
        _toStub = Post(_stub.LocalEndPoint, "e/stub", replyTo);
    }

    [Benchmark(Baseline = true, Description = "Controller -> agent (MTP + engine) -> Controller, one Get round trip")]
    public Task ThroughTheAgent() => RoundTrip(_toAgent, expectedMsgId: null);

    [Benchmark(Description = "Controller -> allocation-free stub agent -> Controller (the Controller's share)")]
    public Task ControllerOnly() => RoundTrip(_toStub, _stubMsgId);

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// stub agent allocated {_stub.AllocatedBytes} bytes on its thread in all");
        _stub.Dispose();
        _controllerEndpoint.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _host.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        _host.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>
    /// POSTs a Get with a new msg_id (the agent drops a repeated one, R-MSG.4) and waits for the answer POSTed to the
    /// Controller's resource, which must carry that msg_id (the stub's always carries <paramref name="expectedMsgId"/>).
    /// </summary>
    private async Task RoundTrip(CoapRequest request, string? expectedMsgId)
    {
        string msgId = "bench-get-" + ++_msgIds;
        _get.Header.MsgId = msgId;
        _record.NoSessionContext = new NoSessionContextRecord { Payload = _get.ToByteString() };
        request.Payload = _record.ToByteArray();
        _answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        CoapResponse acknowledged = await _controller.SendAsync(request);
        if (acknowledged.Code != CoapCode.Changed)
        {
            throw new InvalidOperationException($"the Get was answered {acknowledged.Code}");
        }

        await _answer.Task;
        Record record = Record.Parser.ParseFrom(_lastAnswer.Span);
        if (Msg.Parser.ParseFrom(record.NoSessionContext.Payload).Header.MsgId != (expectedMsgId ?? msgId))
        {
            throw new InvalidOperationException("an answer to another request");
        }
    }

    private static CoapRequest Post(IPEndPoint to, string path, string replyTo)
    {
        var request = new CoapRequest(CoapMethod.Post, to) { ContentFormat = CoapContentFormat.OctetStream };
        request.SetPath(path);
        request.UriQuery.Add(replyTo);
        return request;
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>
    /// An agent reduced to datagrams, on a thread of its own and without allocating: it acknowledges each CON POST
    /// with a piggybacked 2.04 and POSTs (CON, Uri-Path "c", Content-Format 42) the given answer back to the sender.
    /// </summary>
    private sealed class StubAgent : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly byte[] _post;
        private readonly Thread _thread;
        private long _allocated;

        public StubAgent(byte[] answer)
        {
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            byte[] head = [0x44, 0x02, 0, 0, 0x5A, 0x5A, 0, 0, 0xB1, (byte)'c', 0x11, 42, 0xFF];
            _post = [.. head, .. answer];
            _thread = new Thread(Run) { IsBackground = true, Name = "stub agent" };
            _thread.Start();
        }

        public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

        public long AllocatedBytes => Interlocked.Read(ref _allocated);

        public void Dispose() => _socket.Dispose();

        private void Run()
        {
            byte[] buffer = new byte[2048];
            byte[] ack = new byte[12];
            var peer = new SocketAddress(AddressFamily.InterNetwork);
            ushort messageId = 0;
            long start = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                while (true)
                {
                    int length = _socket.ReceiveFrom(buffer, SocketFlags.None, peer);
                    bool confirmablePost = length >= 4 && (buffer[0] & 0x30) == 0 && buffer[1] == 0x02;
                    if (!confirmablePost)
                    {
                        continue; // the Controller's ACK of our POST
                    }

                    int tokenLength = buffer[0] & 0x0F;
                    ack[0] = (byte)(0x60 | tokenLength);
                    ack[1] = 0x44;
                    ack[2] = buffer[2];
                    ack[3] = buffer[3];
                    buffer.AsSpan(4, tokenLength).CopyTo(ack.AsSpan(4));
                    _socket.SendTo(ack.AsSpan(0, 4 + tokenLength), SocketFlags.None, peer);

                    BinaryPrimitives.WriteUInt16BigEndian(_post.AsSpan(2), ++messageId);
                    BinaryPrimitives.WriteUInt16BigEndian(_post.AsSpan(6), messageId);
                    _socket.SendTo(_post, SocketFlags.None, peer);
                    Interlocked.Exchange(ref _allocated, GC.GetAllocatedBytesForCurrentThread() - start);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }
    }
}

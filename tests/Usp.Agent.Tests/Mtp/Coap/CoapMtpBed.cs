using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Usp.Agent.Coap;
using Usp.Agent.Hosting;
using Usp.Agent.Mtp;
using Usp.Agent.Mtp.Coap;
using Usp.Agent.Tests.Hosting;
using Usp.Tests.Support;
using Usp.DataModel;
using Record = Usp.Proto.Record;

namespace Usp.Agent.Tests.Mtp.Coap;

/// <summary>
/// The CoAP MTP in-process: a real engine on a temporary database, the listener over transports of an
/// <see cref="InMemoryNetwork"/> (plain, and secured with a session when <c>secure</c> is given), and a Controller's
/// CoAP server on the same network that collects the Records the agent POSTs to it.
/// </summary>
internal sealed class CoapMtpBed : IAsyncDisposable
{
    public const string AgentId = "proto::mtp-agent";
    public const string ControllerId = "proto::mtp-controller";
    public const int PlainPort = 5683;
    public const int SecurePort = 5684;

    private readonly TempDirectory _directory = new();
    private readonly CoapEndpoint _controllerEndpoint;

    private CoapMtpBed(TestSecureSession? secure, bool controllerEncrypted)
    {
        _controllerEndpoint = new CoapEndpoint(Network.CreateTransport(secure), new CoapEndpointOptions(), Clock);
        var controllerServer = new CoapServer(_controllerEndpoint);
        controllerServer.AddResource(new CoapResource("ctrl", (request, _) =>
        {
            Received.Add(request.Payload.ToArray());
            return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
        }));
        _controllerEndpoint.Start();

        string defaults = FactoryDefaultsText.WriteFile(_directory.Path, FactoryDefaults(ControllerPort, controllerEncrypted));
        Engine = UspEngine.Open(new UspEngineOptions
        {
            DataDirectory = _directory.File("var"),
            FactoryDefaultsPath = defaults,
            EndpointId = AgentId,
            OutboundSender = Router,
        });
        Router.UseControllerMtps(Engine.GetControllerMtps);

        var options = new AgentOptions { DataDir = _directory.File("var"), FactoryDefaults = defaults, Bind = "127.0.0.1", CoapPort = PlainPort, CoapsPort = SecurePort };
        List<ICoapTransportFactory> factories = [new InMemoryTransportFactory(Network)];
        if (secure is not null)
        {
            factories.Add(new InMemoryTransportFactory(Network, secure));
        }

        Listener = new CoapMtpListener(options, Task.FromResult(Engine), Router, factories, NullLogger<CoapMtpListener>.Instance, Clock);
    }

    public InMemoryNetwork Network { get; } = new();

    public ManualTimeProvider Clock { get; } = new();

    public OutboundRecordRouter Router { get; } = new();

    public UspEngine Engine { get; }

    public CoapMtpListener Listener { get; }

    /// <summary>Every Record the agent POSTed to the Controller's resource, as it arrived.</summary>
    public BlockingCollection<byte[]> Received { get; } = [];

    public int ControllerPort => _controllerEndpoint.LocalEndPoint.Port;

    /// <param name="secure">The session the secured transports report for every peer (as DTLS would); null: no DTLS in this build.</param>
    public static async Task<CoapMtpBed> StartAsync(TestSecureSession? secure = null, bool controllerEncrypted = false)
    {
        var bed = new CoapMtpBed(secure, controllerEncrypted);
        await bed.Listener.StartAsync(CancellationToken.None);
        await Drive.WithGuard(bed.Listener.WhenListening);
        return bed;
    }

    /// <summary>POSTs a Record from the Controller's endpoint to the agent's resource; returns the CoAP response.</summary>
    public Task<CoapResponse> PostAsync(int port, byte[] record, string replyTo) =>
        SendAsync(CoapMethod.Post, port, record, CoapContentFormat.OctetStream, replyTo);

    public Task<CoapResponse> SendAsync(CoapMethod method, int port, byte[] record, ushort? contentFormat, string replyTo)
    {
        var request = new CoapRequest(method, new IPEndPoint(IPAddress.Loopback, port))
        {
            ContentFormat = contentFormat,
            Payload = record,
        };
        request.SetPath($"e/{AgentId}");
        request.UriQuery.Add("reply-to=" + replyTo);
        return Drive.UntilDone(Clock, new CoapClient(_controllerEndpoint).SendAsync(request));
    }

    public string ReplyTo(bool secure) => $"{(secure ? "coaps" : "coap")}://127.0.0.1:{ControllerPort.ToString(CultureInfo.InvariantCulture)}/ctrl";

    /// <summary>The next Record the Controller received, decoded.</summary>
    public Record NextReceived()
    {
        Assert.True(Received.TryTake(out byte[]? bytes, TimeSpan.FromSeconds(60)), "the Controller received nothing");
        return Record.Parser.ParseFrom(bytes);
    }

    public async ValueTask DisposeAsync()
    {
        await Listener.StopAsync(CancellationToken.None);
        await _controllerEndpoint.DisposeAsync();
        Engine.Dispose();
        _directory.Dispose();
    }

    private static string FactoryDefaults(int controllerPort, bool controllerEncrypted) =>
        FactoryDefaultsText.AgentCoapMtp(1, PlainPort, FactoryDefaultsText.EndpointIdPath)
        + FactoryDefaultsText.AgentCoapMtp(2, SecurePort, FactoryDefaultsText.EndpointIdPath, encrypted: true)
        + FactoryDefaultsText.FullAccessRole(alias: null)
        + FactoryDefaultsText.Controller(1, ControllerId)
        + FactoryDefaultsText.ControllerCoapMtp(1, "127.0.0.1", controllerPort, "ctrl", encrypted: controllerEncrypted);
}

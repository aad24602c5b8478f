using System.Net;
using Microsoft.Extensions.Logging;
using Usp.Agent.Discovery;
using Usp.Agent.Discovery.Dns;

namespace Usp.Agent.Tests.Discovery;

/// <summary>A responder with one agent service on one interface, driven by a test clock.</summary>
internal sealed class ResponderRig
{
    public const string EndpointId = "proto::rig-agent";
    public static readonly DnsName ServiceType = DnsName.Parse("_usp-agt-coap._udp.local");
    public static readonly DnsName InstanceName = ServiceType.Prepend(EndpointId);
    public static readonly DnsName HostName = DnsName.Parse("rig.local");
    public static readonly IPEndPoint Peer = new(IPAddress.Parse("10.0.0.2"), 5353);

    public static readonly MdnsInterface Eth0 = new(2, "eth0", [IPAddress.Parse("10.0.0.1"), IPAddress.Parse("fe80::1")]);
    public static readonly MdnsInterface Eth1 = new(3, "eth1", [IPAddress.Parse("192.168.7.1")]);

    public ResponderRig(int seed = 1)
    {
        Responder = new MdnsResponder(Log, new Random(seed));
    }

    public ListLogger Log { get; } = new();

    public MdnsResponder Responder { get; }

    public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public List<(DateTimeOffset Time, MdnsOutgoing Packet)> Sent { get; } = [];

    public static MdnsService Service(string name = "Kitchen", ushort port = 5683, string instance = EndpointId) =>
        AgentAdvertisementSource.Service("Device.LocalAgent.MTP.1.", instance, null, port, "e/" + EndpointId, name, false, []);

    public static MdnsAdvertisement Advertisement(params MdnsService[] services) => new("rig", services);

    public void Update(MdnsAdvertisement advertisement, params MdnsInterface[] interfaces)
    {
        Responder.Update(advertisement, interfaces.Length == 0 ? [Eth0] : interfaces, Now);
        Collect();
    }

    /// <summary>Moves the clock in 5 ms steps, polling as the service loop does.</summary>
    public void Run(TimeSpan duration)
    {
        DateTimeOffset end = Now + duration;
        while (Now < end)
        {
            Responder.Poll(Now);
            Collect();
            Now += TimeSpan.FromMilliseconds(5);
        }
    }

    /// <summary>Starts the rig and runs it until the names are established (probes and both announcements out).</summary>
    public void Establish(params MdnsService[] services)
    {
        Update(Advertisement(services.Length == 0 ? [Service()] : services));
        Run(TimeSpan.FromSeconds(3));
        Assert.All(Responder.Claims, c => Assert.Equal(ClaimState.Established, c.State));
        Sent.Clear();
    }

    public void Receive(DnsMessage message, IPEndPoint? from = null, int interfaceIndex = 2)
    {
        Responder.Receive(DnsMessageWriter.Encode(message), from ?? Peer, interfaceIndex, Now);
        Collect();
    }

    public static DnsMessage Query(params DnsQuestion[] questions) => new() { Questions = questions };

    public List<(DateTimeOffset Time, DnsMessage Message, MdnsOutgoing Packet)> Decoded() =>
        [.. Sent.Select(s => (s.Time, DnsMessageReader.TryRead(s.Packet.Data, out DnsMessage m) ? m : throw new InvalidOperationException("undecodable"), s.Packet))];

    private void Collect()
    {
        foreach (MdnsOutgoing packet in Responder.TakeOutgoing())
        {
            Sent.Add((Now, packet));
        }
    }
}

/// <summary>Keeps log lines for assertions.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
        {
            _lines.Add($"{logLevel}: {formatter(state, exception)}");
        }
    }
}

using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Usp.Agent.Discovery.Dns;
using Usp.Agent.Mtp;
using Usp.DataModel;

namespace Usp.Agent.Discovery;

/// <summary>
/// Resolves through mDNS (R-DIS.5, R-DIS.7): <c>*.local</c> host names to addresses, and a Controller's
/// <c>_usp-ctr-coap._udp</c> instance (named by its EndpointID) to host, port and path. Queries are one-shot
/// (RFC 6762 §5.1) from a socket of their own on an ephemeral port, multicast on every served interface, sent again
/// after 1 s and 2 s; responders answer them by unicast. It works beside either backend and never binds 5353.
/// </summary>
internal sealed partial class MdnsResolver(MdnsInterfaces interfaces, ILogger<MdnsResolver> logger, int port = MdnsResponder.MdnsPort)
    : IHostNameResolver, IControllerLocator
{
    public const string ControllerServiceType = "_usp-ctr-coap._udp.local";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);

    public static bool IsLocalName(string host) =>
        host.TrimEnd('.').EndsWith(".local", StringComparison.OrdinalIgnoreCase) && !IPAddress.TryParse(host, out _);

    public bool Handles(string host) => IsLocalName(host);

    public Task<IPAddress?> ResolveAsync(string host, CancellationToken cancellationToken) => ResolveHostAsync(host, cancellationToken);

    public async Task<ControllerMtp?> LocateAsync(ControllerMtp configured, string controllerEndpointId, CancellationToken cancellationToken)
    {
        if (!string.Equals(configured.Protocol, "CoAP", StringComparison.OrdinalIgnoreCase) ||
            await BrowseControllerAsync(controllerEndpointId, cancellationToken).ConfigureAwait(false) is not { } found)
        {
            return null;
        }

        // The configured Path wins over the advertised one; the advertised "encrypt" makes encryption required (R-DIS.11a).
        return configured with
        {
            Host = found.Address.ToString(),
            Port = found.Port,
            ResourcePath = configured.ResourcePath.Length > 0 ? configured.ResourcePath : found.Path,
            EnableEncryption = configured.EnableEncryption || found.Encrypted,
        };
    }

    /// <summary>An address of <paramref name="host"/> (a <c>.local</c> name), IPv4 first; null when nobody answers in 3 s.</summary>
    public async Task<IPAddress?> ResolveHostAsync(string host, CancellationToken cancellationToken)
    {
        DnsName name = DnsName.Parse(host.TrimEnd('.'));
        List<DnsRecord> records = await QueryAsync(
            [new DnsQuestion(name, DnsRecordType.A), new DnsQuestion(name, DnsRecordType.Aaaa)],
            found => found.Any(r => r.Name.Equals(name) && r.Data is AddressData), cancellationToken).ConfigureAwait(false);
        IPAddress? address = AddressOf(name, records);
        LogResolved(host, address?.ToString() ?? "no answer");
        return address;
    }

    /// <summary>The CoAP MTP a Controller advertises (R-DIS.7, R-DIS.11): SRV host and port, TXT path and encrypt.</summary>
    public async Task<ControllerLocation?> BrowseControllerAsync(string endpointId, CancellationToken cancellationToken)
    {
        DnsName type = DnsName.Parse(ControllerServiceType);
        if (!DnsName.TryCreate([MdnsClaim.Fit(endpointId, DnsName.MaxLabelLength), .. type.Labels], out DnsName instance))
        {
            return null;
        }

        List<DnsRecord> records = await QueryAsync(
            [new DnsQuestion(type, DnsRecordType.Ptr), new DnsQuestion(instance, DnsRecordType.Srv), new DnsQuestion(instance, DnsRecordType.Txt)],
            found => found.Any(r => r.Name.Equals(instance) && r.Data is SrvData) && found.Any(r => r.Name.Equals(instance) && r.Data is TxtData),
            cancellationToken).ConfigureAwait(false);
        SrvData? srv = records.Where(r => r.Name.Equals(instance)).Select(r => r.Data).OfType<SrvData>().FirstOrDefault();
        TxtData? txt = records.Where(r => r.Name.Equals(instance)).Select(r => r.Data).OfType<TxtData>().FirstOrDefault();
        if (srv is null)
        {
            LogBrowsed(endpointId, "no answer");
            return null;
        }

        IPAddress? address = AddressOf(srv.Target, records) ?? await ResolveHostAsync(srv.Target.ToString(), cancellationToken).ConfigureAwait(false);
        if (address is null)
        {
            LogBrowsed(endpointId, $"{srv.Target} has no address");
            return null;
        }

        var location = new ControllerLocation(address, srv.Port, (txt?.Get("path") ?? "").Trim('/'), txt?.Get("encrypt") is not null);
        LogBrowsed(endpointId, location.ToString());
        return location;
    }

    private static IPAddress? AddressOf(DnsName host, List<DnsRecord> records) =>
        records.Where(r => r.Name.Equals(host) && r.Ttl > 0).Select(r => r.Data).OfType<AddressData>()
            .OrderBy(a => a.Address.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).Select(a => a.Address).FirstOrDefault();

    private async Task<List<DnsRecord>> QueryAsync(DnsQuestion[] questions, Func<List<DnsRecord>, bool> enough, CancellationToken cancellationToken)
    {
        var found = new List<DnsRecord>();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        ushort id = (ushort)Random.Shared.Next(1, ushort.MaxValue);
        byte[] query = MdnsPackets.Query(id, questions);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        byte[] buffer = new byte[9000];
        DateTimeOffset nextSend = DateTimeOffset.MinValue;
        try
        {
            while (!enough(found))
            {
                if (DateTimeOffset.UtcNow >= nextSend)
                {
                    Send(socket, query);
                    nextSend = DateTimeOffset.UtcNow + Retry;
                }

                using var slice = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                slice.CancelAfter(Retry);
                SocketReceiveFromResult received;
                try
                {
                    received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), slice.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
                {
                    continue;
                }

                if (DnsMessageReader.TryRead(buffer.AsSpan(0, received.ReceivedBytes), out DnsMessage message) && message.IsResponse && message.IsStandard)
                {
                    found.AddRange(message.Answers.Concat(message.Additionals));
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Three seconds without the whole answer: return what came.
        }

        return found;
    }

    private void Send(Socket socket, byte[] query)
    {
        foreach (MdnsInterface iface in interfaces.Current().Where(i => i.HasIPv4))
        {
            try
            {
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.HostToNetworkOrder(iface.Index));
                socket.SendTo(query, new IPEndPoint(MdnsSockets.GroupV4, port));
            }
            catch (SocketException)
            {
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "mDNS: {Host} resolved to {Address}.")]
    private partial void LogResolved(string host, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "mDNS: Controller {EndpointId} browsed under _usp-ctr-coap._udp: {Result}.")]
    private partial void LogBrowsed(string endpointId, string result);
}

/// <summary>Where a Controller's CoAP MTP was found by DNS-SD.</summary>
internal sealed record ControllerLocation(IPAddress Address, int Port, string Path, bool Encrypted)
{
    public override string ToString() => $"{(Encrypted ? "coaps" : "coap")}://{Address}:{Port}/{Path}";
}

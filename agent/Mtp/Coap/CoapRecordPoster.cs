using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Usp.Agent.Coap;
using Usp.DataModel.Notifications;

namespace Usp.Agent.Mtp.Coap;

/// <summary>
/// POSTs one USP Record to an Endpoint's CoAP server (R-COAP.4–6): CON, Content-Format 42, Block1 when large
/// (the CoAP client does that), our own reply-to in the Uri-Query, and says how delivery went (R-COAP.9/10).
/// </summary>
internal sealed class CoapRecordPoster(CoapEndpoint endpoint, ICoapPeerExpectation? expectation = null)
{
    private const int MaxLiteralsKept = 256;
    private readonly CoapClient _client = new(endpoint);
    private readonly ConcurrentDictionary<(string Host, int Port), IPEndPoint> _literals = new();

    public CoapEndpoint Endpoint => endpoint;

    /// <param name="replyTo">Our reply-to value, given the address the Record goes to.</param>
    /// <param name="continueOnReceiveThread">Return on the CoAP receive thread (see <see cref="CoapRequest.ContinueOnReceiveThread"/>).</param>
    /// <param name="expectedEndpointId">Over DTLS: the Endpoint ID the receiving server's certificate must carry (else its host name or address).</param>
    public async Task<DeliveryResult> PostAsync(string host, int port, string path, Func<IPAddress, string> replyTo, ReadOnlyMemory<byte> record,
        CancellationToken cancellationToken, bool continueOnReceiveThread = false, string? expectedEndpointId = null)
    {
        IPEndPoint? destination = LiteralDestination(host, port);
        if (destination is null)
        {
            try
            {
                destination = new IPEndPoint(await ResolveNameAsync(host, cancellationToken).ConfigureAwait(false), port);
            }
            catch (Exception e) when (e is SocketException or ArgumentException)
            {
                return new DeliveryResult(DeliveryOutcome.TimedOut, 0, $"cannot resolve {host}: {e.Message}");
            }
        }

        expectation?.Expect(destination, host, expectedEndpointId);
        var request = new CoapRequest(CoapMethod.Post, destination)
        {
            ContentFormat = CoapContentFormat.OctetStream,
            Payload = record,
            ContinueOnReceiveThread = continueOnReceiveThread,
        };
        request.SetPath(path);
        request.UriQuery.Add(ReplyTo.QueryKey + replyTo(destination.Address.IsIPv4MappedToIPv6 ? destination.Address.MapToIPv4() : destination.Address));
        try
        {
            CoapResponse response = await _client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            return response.IsSuccess
                ? DeliveryResult.Delivered
                : new DeliveryResult(DeliveryOutcome.Rejected, (response.Code.Class * 100) + response.Code.Detail, $"CoAP {response.Code}");
        }
        catch (CoapTimeoutException e)
        {
            return new DeliveryResult(DeliveryOutcome.TimedOut, 0, e.Message);
        }
        catch (CoapException e)
        {
            // A reset or a broken block-wise exchange: the peer refused the Record.
            return new DeliveryResult(DeliveryOutcome.Rejected, 0, e.Message);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            return new DeliveryResult(DeliveryOutcome.TimedOut, 0, e.Message);
        }
    }

    /// <summary>
    /// The destination of an IP literal host (a reply-to usually is one), parsed once per (host, port) rather than
    /// once per Record; null for a name.
    /// </summary>
    private IPEndPoint? LiteralDestination(string host, int port)
    {
        if (_literals.TryGetValue((host, port), out IPEndPoint? known))
        {
            return known;
        }

        if (!IPAddress.TryParse(host, out IPAddress? literal))
        {
            return null;
        }

        if (endpoint.LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 && literal.AddressFamily == AddressFamily.InterNetwork)
        {
            literal = literal.MapToIPv6();
        }

        if (_literals.Count >= MaxLiteralsKept)
        {
            _literals.Clear();
        }

        return _literals[(host, port)] = new IPEndPoint(literal, port);
    }

    /// <summary>An address of the endpoint's family (an IPv4 socket cannot send to IPv6, and the reverse only when dual-mode).</summary>
    private async Task<IPAddress> ResolveNameAsync(string host, CancellationToken cancellationToken)
    {
        AddressFamily family = endpoint.LocalEndPoint.AddressFamily;
        IPAddress[] addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        IPAddress? match = addresses.FirstOrDefault(a => a.AddressFamily == family)
            ?? (family == AddressFamily.InterNetworkV6 ? addresses.FirstOrDefault()?.MapToIPv6() : null);
        return match ?? throw new ArgumentException($"no {family} address");
    }
}

using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Usp.Agent.Coap;
using Usp.Agent.ControllerSide;
using Usp.Agent.Dtls;
using Usp.Agent.Hosting;
using Usp.Agent.Mtp;
using Usp.Agent.Mtp.Coap;
using Usp.Proto;

namespace Usp.Agent.Cli;

/// <summary>What one <c>usp-agent ctl</c> invocation sends, and where.</summary>
/// <param name="FromId">the Controller's EndpointID; null: the one the --cert certificate names, else <see cref="CtlCommand.DefaultFrom"/>.</param>
/// <param name="Certificates">the DTLS files for coaps://; null for coap://.</param>
internal sealed record CtlRequest(Uri Agent, string? FromId, string? ToId, int ListenPort, bool Json, string Verb, IReadOnlyList<string> Arguments, CtlCertificates? Certificates = null);

/// <summary>
/// A minimal USP Controller on our CoAP stack: it serves its own resource on <see cref="CtlRequest.ListenPort"/>,
/// POSTs the request Record to the agent with that as reply-to, and waits for the agent's response Record. Over
/// coaps:// it first opens a DTLS session with the agent (<see cref="CtlTransport"/>), which the answer comes back over.
/// </summary>
internal sealed class CtlClient(TextWriter output, TextWriter error)
{
    public const string ResourcePath = "ctl";
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(20);

    public async Task<int> RunAsync(CtlRequest request, CancellationToken cancellationToken)
    {
        bool secure = request.Agent.Scheme == "coaps";
        bool complete = request.Certificates is { Certificate.Length: > 0, Key.Length: > 0, TrustStore.Length: > 0 };
        if (secure ? !complete : request.Certificates is not null)
        {
            await error.WriteLineAsync(secure
                ? "usp-agent ctl: coaps:// needs --cert, --key and --trust-store (the Controller's certificate and key, and the CA that issued the agent's certificate)"
                : "usp-agent ctl: --cert, --key and --trust-store are for coaps:// only").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        string? toId = request.ToId ?? EndpointIdFromPath(request.Agent);
        if (toId is null)
        {
            await error.WriteLineAsync($"usp-agent ctl: cannot tell the agent's EndpointID from {request.Agent} (the path is not /e/<EndpointID>): give it with --to").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        IPAddress agentAddress;
        try
        {
            agentAddress = IPAddress.TryParse(request.Agent.Host.Trim('[', ']'), out IPAddress? literal)
                ? literal
                : (await Dns.GetHostAddressesAsync(request.Agent.Host, cancellationToken).ConfigureAwait(false))[0];
        }
        catch (Exception e) when (e is SocketException or IndexOutOfRangeException)
        {
            await error.WriteLineAsync($"usp-agent ctl: cannot resolve {request.Agent.Host}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        int defaultPort = secure ? ReplyTo.CoapsDefaultPort : ReplyTo.CoapDefaultPort;
        var agentEndPoint = new IPEndPoint(agentAddress, request.Agent.IsDefaultPort || request.Agent.Port < 0 ? defaultPort : request.Agent.Port);
        IPAddress any = agentAddress.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        CoapEndpoint endpoint;
        ICoapTransport transport;
        string? certificateId;
        try
        {
            transport = CtlTransport.Bind(new IPEndPoint(any, request.ListenPort), request.Certificates, agentEndPoint, request.Agent.Host.Trim('[', ']'), toId, error, out certificateId);
            endpoint = new CoapEndpoint(transport, new CoapEndpointOptions(), TimeProvider.System);
        }
        catch (SocketException e)
        {
            await error.WriteLineAsync($"usp-agent ctl: cannot listen on UDP port {request.ListenPort}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (AgentConfigurationException e)
        {
            await error.WriteLineAsync($"usp-agent ctl: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Configuration;
        }

        await using (endpoint.ConfigureAwait(false))
        {
            string fromId = request.FromId ?? certificateId ?? CtlCommand.DefaultFrom;
            string msgId = UspRecords.NewMsgId("ctl");
            var answer = new TaskCompletionSource<Msg>(TaskCreationOptions.RunContinuationsAsynchronously);
            var server = new CoapServer(endpoint);
            server.AddResource(new CoapResource(ResourcePath, (incoming, _) => ValueTask.FromResult(Receive(incoming, fromId, msgId, answer)))
            {
                AllowedMethods = UspCoapRequest.Methods,
                AcceptedContentFormats = UspCoapRequest.ContentFormats,
            });
            endpoint.Start();
            if (transport is DtlsCoapTransport dtls && !await HandshakeAsync(dtls, agentEndPoint, cancellationToken).ConfigureAwait(false))
            {
                return ExitCodes.Failure;
            }

            Msg msg = UspRequests.Build(request.Verb, request.Arguments, msgId);
            byte[] record = UspRecords.Wrap(msg, fromId, toId).ToByteArray();
            var local = new LocalAddress(any);
            var poster = new CoapRecordPoster(endpoint);
            var delivery = await poster.PostAsync(agentEndPoint.Address.ToString(), agentEndPoint.Port, request.Agent.AbsolutePath,
                address => ReplyTo.Format(local.Towards(address).ToString(), endpoint.LocalEndPoint.Port, ResourcePath, secure, ReplyToForm.Uri),
                record, cancellationToken).ConfigureAwait(false);
            if (!delivery.Succeeded)
            {
                await error.WriteLineAsync($"usp-agent ctl: {request.Agent} did not take the request ({delivery.Outcome}{(delivery.Code != 0 ? $" {delivery.Code / 100}.{delivery.Code % 100:D2}" : "")}): {delivery.Detail}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }

            Msg response;
            try
            {
                response = await answer.Task.WaitAsync(ResponseTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await error.WriteLineAsync($"usp-agent ctl: no USP response from {toId} within {ResponseTimeout.TotalSeconds:0} s").ConfigureAwait(false);
                return ExitCodes.Failure;
            }

            FormattedResponse formatted = UspResponseFormatter.Format(response, request.Json);
            await (formatted.Succeeded ? output : error).WriteLineAsync(formatted.Body).ConfigureAwait(false);
            return formatted.Succeeded ? ExitCodes.Success : ExitCodes.Failure;
        }
    }

    /// <summary>Opens the DTLS session first, so that a refused handshake is reported as such (the transport logs why).</summary>
    private async Task<bool> HandshakeAsync(DtlsCoapTransport dtls, IPEndPoint agent, CancellationToken cancellationToken)
    {
        try
        {
            await dtls.ConnectAsync(agent, cancellationToken).WaitAsync(HandshakeTimeout + TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is IOException or TimeoutException)
        {
            await error.WriteLineAsync($"usp-agent ctl: no DTLS session with {agent}: {e.Message}").ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>The agent's resource path names it: <c>/e/&lt;EndpointID&gt;</c> (R-COAP.1's example, our default).</summary>
    public static string? EndpointIdFromPath(Uri agent)
    {
        string path = Uri.UnescapeDataString(agent.AbsolutePath).Trim('/');
        return path.StartsWith("e/", StringComparison.Ordinal) && path.Length > 2 && !path[2..].Contains('/') ? path[2..] : null;
    }

    private static CoapResponse Receive(CoapRequestContext incoming, string fromId, string msgId, TaskCompletionSource<Msg> answer)
    {
        Record record;
        try
        {
            record = Record.Parser.ParseFrom(incoming.Payload.Span);
        }
        catch (InvalidProtocolBufferException)
        {
            return new CoapResponse(CoapCode.BadRequest, "not a USP Record"u8.ToArray(), CoapContentFormat.TextPlain);
        }

        if (record.ToId == fromId && UspRecords.TryUnwrap(record) is { } msg && msg.Header?.MsgId == msgId)
        {
            // Only once our 2.04 is out: exiting before it leaves the agent retransmitting the answer to a closed port,
            // and the agent answers a Controller's Records in order, so the next ctl run (the same Endpoint ID) would
            // wait behind those retransmissions.
            incoming.RunAfterResponse(() => answer.TrySetResult(msg));
        }

        return new CoapResponse(CoapCode.Changed);
    }
}

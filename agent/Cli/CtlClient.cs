using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Usp.Agent.Coap;
using Usp.Agent.ControllerSide;
using Usp.Agent.Hosting;
using Usp.Agent.Mtp;
using Usp.Agent.Mtp.Coap;
using Usp.Proto;

namespace Usp.Agent.Cli;

/// <summary>What one <c>usp-agent ctl</c> invocation sends, and where.</summary>
internal sealed record CtlRequest(Uri Agent, string FromId, string? ToId, int ListenPort, bool Json, string Verb, IReadOnlyList<string> Arguments);

/// <summary>
/// A minimal USP Controller on our CoAP stack: it serves its own resource on <see cref="CtlRequest.ListenPort"/>,
/// POSTs the request Record to the agent with that as reply-to, and waits for the agent's response Record.
/// </summary>
internal sealed class CtlClient(TextWriter output, TextWriter error)
{
    public const string ResourcePath = "ctl";
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(30);

    public async Task<int> RunAsync(CtlRequest request, CancellationToken cancellationToken)
    {
        if (request.Agent.Scheme == "coaps")
        {
            await error.WriteLineAsync($"usp-agent ctl: coaps (CoAP over DTLS) is not in this build; use coap://").ConfigureAwait(false);
            return ExitCodes.Unavailable;
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

        var agentEndPoint = new IPEndPoint(agentAddress, request.Agent.IsDefaultPort || request.Agent.Port < 0 ? ReplyTo.CoapDefaultPort : request.Agent.Port);
        IPAddress any = agentAddress.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        CoapEndpoint endpoint;
        try
        {
            endpoint = CoapEndpoint.BindUdp(new IPEndPoint(any, request.ListenPort), new CoapEndpointOptions(), TimeProvider.System);
        }
        catch (SocketException e)
        {
            await error.WriteLineAsync($"usp-agent ctl: cannot listen on UDP port {request.ListenPort}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        await using (endpoint.ConfigureAwait(false))
        {
            string msgId = UspRecords.NewMsgId("ctl");
            var answer = new TaskCompletionSource<Msg>(TaskCreationOptions.RunContinuationsAsynchronously);
            var server = new CoapServer(endpoint);
            server.AddResource(new CoapResource(ResourcePath, (incoming, _) => ValueTask.FromResult(Receive(incoming, request.FromId, msgId, answer)))
            {
                AllowedMethods = UspCoapRequest.Methods,
                AcceptedContentFormats = UspCoapRequest.ContentFormats,
            });
            endpoint.Start();

            Msg msg = UspRequests.Build(request.Verb, request.Arguments, msgId);
            byte[] record = UspRecords.Wrap(msg, request.FromId, toId).ToByteArray();
            var local = new LocalAddress(any);
            var poster = new CoapRecordPoster(endpoint);
            var delivery = await poster.PostAsync(agentEndPoint.Address.ToString(), agentEndPoint.Port, request.Agent.AbsolutePath,
                address => ReplyTo.Format(local.Towards(address).ToString(), endpoint.LocalEndPoint.Port, ResourcePath, secure: false, ReplyToForm.Uri),
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
            answer.TrySetResult(msg);
        }

        return new CoapResponse(CoapCode.Changed);
    }
}

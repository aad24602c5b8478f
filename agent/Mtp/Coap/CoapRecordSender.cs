using Microsoft.Extensions.Logging;
using Usp.DataModel;
using Usp.DataModel.Notifications;

namespace Usp.Agent.Mtp.Coap;

/// <summary>
/// Sends engine-originated Records (notifications) to a Controller's CoAP MTP row (R-COAP.4–6), from the first served
/// endpoint of the same security (in MTP row order), with that endpoint as our reply-to.
/// </summary>
internal sealed partial class CoapRecordSender(
    CoapMtpReconciler served, bool encrypted, LocalAddress localAddress, ILogger logger, CancellationToken stopping, IHostNameResolver? hostNames = null)
    : IMtpRecordSender
{
    public string Protocol => "CoAP";

    public bool Encrypted => encrypted;

    public async ValueTask<DeliveryResult> SendAsync(ControllerMtp mtp, string controllerEndpointId, ReadOnlyMemory<byte> record, CancellationToken cancellationToken)
    {
        ServedEndpoint? from = served.Current.FirstOrDefault(e => e.Secure == encrypted);
        CoapInboundServer? server = from is null ? null : served.ServerOn(from.Port);
        if (from is null || server is null)
        {
            return new DeliveryResult(DeliveryOutcome.NoMtp, 0, encrypted ? "the agent's CoAP MTP over DTLS is not listening" : "the agent's CoAP MTP is not listening");
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        string host = mtp.Host;
        if (hostNames is not null && hostNames.Handles(host))
        {
            if (await hostNames.ResolveAsync(host, linked.Token).ConfigureAwait(false) is not { } address)
            {
                return new DeliveryResult(DeliveryOutcome.TimedOut, 0, $"no mDNS answer for {host}");
            }

            host = address.ToString();
        }

        DeliveryResult result = await server.Poster.PostAsync(
            host, mtp.Port, mtp.ResourcePath,
            address => ReplyTo.Format(localAddress.Towards(address).ToString(), server.Port, from.Path, encrypted, ReplyToForm.Uri),
            record, linked.Token, expectedEndpointId: controllerEndpointId).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            LogNotifyFailed(controllerEndpointId, encrypted ? "coaps" : "coap", mtp.Host, mtp.Port, mtp.ResourcePath, result.Outcome, result.Detail ?? "");
        }

        return result;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification to {Controller} at {Scheme}://{Host}:{Port}/{Path} not delivered ({Outcome}): {Detail}")]
    private partial void LogNotifyFailed(string controller, string scheme, string host, int port, string path, DeliveryOutcome outcome, string detail);
}

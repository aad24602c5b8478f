using Usp.DataModel;
using Usp.DataModel.Notifications;

namespace Usp.Agent.Mtp;

/// <summary>
/// One MTP's way of delivering an engine-originated Record (a notification, the answer to none) to a Controller,
/// over one of the Controller's <c>Device.LocalAgent.Controller.{i}.MTP.{j}.</c> rows. An MTP attaches one sender
/// per kind it can send over (CoAP; CoAP over DTLS) to the <see cref="OutboundRecordRouter"/>, which picks the row.
/// </summary>
internal interface IMtpRecordSender
{
    /// <summary>The MTP row's Protocol this sender speaks, e.g. "CoAP" (compared without case).</summary>
    string Protocol { get; }

    /// <summary>True when it sends encrypted (the row's EnableEncryption).</summary>
    bool Encrypted { get; }

    ValueTask<DeliveryResult> SendAsync(ControllerMtp mtp, string controllerEndpointId, ReadOnlyMemory<byte> record, CancellationToken cancellationToken);
}

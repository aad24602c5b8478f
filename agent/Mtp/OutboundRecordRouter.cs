using Usp.DataModel.Notifications;

namespace Usp.Agent.Engine;

/// <summary>One MTP's way of delivering an engine-originated Record to a Controller.</summary>
internal interface IMtpRecordSender
{
    ValueTask<DeliveryResult> SendAsync(string controllerEndpointId, ReadOnlyMemory<byte> record, CancellationToken cancellationToken);
}

/// <summary>
/// The engine's <see cref="IOutboundRecordSender"/>: hands each Record to the MTP that serves (the CoAP MTP in
/// this build). The engine is opened before the MTPs listen, so the MTP attaches itself once it runs.
/// </summary>
internal sealed class OutboundRecordRouter : IOutboundRecordSender
{
    private volatile IMtpRecordSender? _sender;

    public void Attach(IMtpRecordSender sender) => _sender = sender;

    public ValueTask<DeliveryResult> SendAsync(string controllerEndpointId, ReadOnlyMemory<byte> record, CancellationToken cancellationToken) =>
        _sender is { } sender
            ? sender.SendAsync(controllerEndpointId, record, cancellationToken)
            : ValueTask.FromResult(new DeliveryResult(DeliveryOutcome.NoMtp, 0, "no MTP is running"));
}

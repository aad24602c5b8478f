using Usp.DataModel;
using Usp.DataModel.Notifications;

namespace Usp.Agent.Mtp;

/// <summary>
/// The engine's <see cref="IOutboundRecordSender"/>: hands each Record to the first of the Controller's enabled MTP
/// rows (in row order) that an attached <see cref="IMtpRecordSender"/> serves, matched by Protocol and
/// EnableEncryption. The engine is opened before the MTPs listen, so the engine's lookup and the MTPs' senders
/// attach themselves once they run.
/// </summary>
internal sealed class OutboundRecordRouter(IControllerLocator? locator = null) : IOutboundRecordSender
{
    private readonly Lock _gate = new();
    private volatile IMtpRecordSender[] _senders = [];
    private volatile Func<string, IReadOnlyList<ControllerMtp>>? _controllerMtps;

    /// <summary>How to find a Controller's enabled MTP rows (the open engine's).</summary>
    public void UseControllerMtps(Func<string, IReadOnlyList<ControllerMtp>> lookup) => _controllerMtps = lookup;

    public void Attach(IMtpRecordSender sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        lock (_gate)
        {
            _senders = [.. _senders, sender];
        }
    }

    public ValueTask<DeliveryResult> SendAsync(string controllerEndpointId, ReadOnlyMemory<byte> record, CancellationToken cancellationToken)
    {
        IMtpRecordSender[] senders = _senders;
        if (senders.Length == 0 || _controllerMtps is not { } lookup)
        {
            return ValueTask.FromResult(new DeliveryResult(DeliveryOutcome.NoMtp, 0, "no MTP is running"));
        }

        foreach (ControllerMtp mtp in lookup(controllerEndpointId))
        {
            if (mtp.Host.Length > 0 && SenderFor(senders, mtp) is { } sender)
            {
                return sender.SendAsync(mtp, controllerEndpointId, record, cancellationToken);
            }

            if (mtp.Host.Length == 0 && locator is not null && SenderFor(senders, mtp with { EnableEncryption = false }) is not null)
            {
                return LocateAndSendAsync(senders, mtp, controllerEndpointId, record, cancellationToken);
            }
        }

        string kinds = string.Join(", ", senders.Select(s => s.Encrypted ? $"{s.Protocol} with encryption" : $"{s.Protocol} without encryption"));
        return ValueTask.FromResult(new DeliveryResult(DeliveryOutcome.NoMtp, 0,
            $"{controllerEndpointId} has no enabled MTP with a Host that this agent can send over ({kinds})"));
    }

    /// <summary>R-DIS.7: a row without a Host is sent where the Controller's DNS-SD records say its MTP is.</summary>
    private async ValueTask<DeliveryResult> LocateAndSendAsync(
        IMtpRecordSender[] senders, ControllerMtp configured, string controllerEndpointId, ReadOnlyMemory<byte> record, CancellationToken cancellationToken)
    {
        ControllerMtp? found = await locator!.LocateAsync(configured, controllerEndpointId, cancellationToken).ConfigureAwait(false);
        if (found is null)
        {
            return new DeliveryResult(DeliveryOutcome.NoMtp, 0,
                $"{controllerEndpointId}'s {configured.Path} names no Host, and service discovery found no {configured.Protocol} MTP advertised under its EndpointID");
        }

        return SenderFor(senders, found) is { } sender
            ? await sender.SendAsync(found, controllerEndpointId, record, cancellationToken).ConfigureAwait(false)
            : new DeliveryResult(DeliveryOutcome.NoMtp, 0,
                $"{controllerEndpointId} advertises its {found.Protocol} MTP {(found.EnableEncryption ? "with" : "without")} encryption, which this agent cannot send over");
    }

    private static IMtpRecordSender? SenderFor(IMtpRecordSender[] senders, ControllerMtp mtp)
    {
        foreach (IMtpRecordSender sender in senders)
        {
            if (sender.Encrypted == mtp.EnableEncryption && string.Equals(sender.Protocol, mtp.Protocol, StringComparison.OrdinalIgnoreCase))
            {
                return sender;
            }
        }

        return null;
    }
}

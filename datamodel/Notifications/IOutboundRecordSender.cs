namespace Usp.DataModel.Notifications;

/// <summary>
/// Implemented by the host (MTP layer): delivers a Record the engine originates (Notify,
/// OperationComplete, Boot!, Periodic!, OnBoardRequest) to a Controller over one of its MTPs
/// (<see cref="UspEngine.GetControllerMtps"/>), and says how that went so retry can act.
/// </summary>
public interface IOutboundRecordSender
{
    /// <param name="controllerEndpointId">The Record's to_id.</param>
    /// <param name="record">One encoded USP Record: no_session_context, or a session_context Record (possibly
    /// one segment of several, sent in order) when the Controller has an E2E session.</param>
    ValueTask<DeliveryResult> SendAsync(string controllerEndpointId, ReadOnlyMemory<byte> record, CancellationToken cancellationToken);
}

public enum DeliveryOutcome
{
    /// <summary>The MTP handed the Record over (e.g. CoAP 2.04 received).</summary>
    Delivered,
    /// <summary>No answer from the Controller's MTP in time (R-COAP.9).</summary>
    TimedOut,
    /// <summary>The Controller's MTP refused it (e.g. CoAP 4.xx/5.xx, R-COAP.10).</summary>
    Rejected,
    /// <summary>The Controller has no enabled MTP this agent can use.</summary>
    NoMtp,
}

/// <param name="Code">An MTP-specific status when known (CoAP class*100+detail, e.g. 404); 0 otherwise.</param>
public readonly record struct DeliveryResult(DeliveryOutcome Outcome, int Code = 0, string? Detail = null)
{
    public static DeliveryResult Delivered => new(DeliveryOutcome.Delivered);
    public bool Succeeded => Outcome == DeliveryOutcome.Delivered;
}

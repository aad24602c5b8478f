using Usp.Agent.Coap;
using Usp.DataModel.Records;

namespace Usp.Agent.Mtp.Coap;

/// <summary>
/// The engine's <see cref="SenderIdentity"/> of a CoAP peer: over plain UDP unauthenticated and unencrypted; over
/// DTLS encrypted (SecuredRoles apply), with the Endpoint ID the transport authenticated from the peer's
/// certificate, which the Record's from_id must then equal.
/// </summary>
internal static class CoapSenderIdentity
{
    public static SenderIdentity Of(CoapPeer peer) =>
        peer.Session is { } session
            ? new SenderIdentity(session.AuthenticatedIdentity) { OverEncryptedMtp = true }
            : SenderIdentity.Unauthenticated;
}

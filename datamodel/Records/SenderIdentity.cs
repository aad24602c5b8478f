namespace Usp.DataModel.Records;

/// <summary>
/// Who the MTP says sent a Record. When <see cref="AuthenticatedEndpointId"/> is set (from the
/// DTLS/TLS certificate), the Record's from_id must equal it.
/// </summary>
public sealed record SenderIdentity(string? AuthenticatedEndpointId = null)
{
    public static readonly SenderIdentity Unauthenticated = new();
}

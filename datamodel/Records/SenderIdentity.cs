namespace Usp.DataModel.Records;

/// <summary>
/// Who the MTP says sent a Record. When <see cref="AuthenticatedEndpointId"/> is set (from the
/// DTLS/TLS certificate), the Record's from_id must equal it.
/// </summary>
public sealed record SenderIdentity(string? AuthenticatedEndpointId = null)
{
    public static readonly SenderIdentity Unauthenticated = new();

    /// <summary>The Record arrived over an encrypted MTP (e.g. CoAP over DTLS); SecuredRoles apply only then.</summary>
    public bool OverEncryptedMtp { get; init; }

    /// <summary>
    /// Roles (Role instance paths, e.g. <c>Device.LocalAgent.ControllerTrust.Role.2</c>) the MTP
    /// derived from the certificate (the ControllerTrust.Credential.{i}.Role of the CA that validated it).
    /// Null: the MTP has no opinion and Controller.{i}.InheritedRole is left as it is; an empty list
    /// clears it. For a Controller without a Controller row these roles are used directly.
    /// </summary>
    public IReadOnlyList<string>? InheritedRoles { get; init; }
}

using Usp.DataModel.Store;

namespace Usp.DataModel.Security;

/// <summary>What a Controller wants to do with a path (TR-181 ControllerTrust permission letters).</summary>
[Flags]
public enum Permission
{
    None = 0,
    Read = 1,
    Write = 2,
    Add = 4,
    Delete = 8,
    Execute = 16,
    Subscribe = 32,
    /// <summary>List a table row and its keys (GetInstances; InstantiatedObj 'r').</summary>
    ReadInstances = 64,
    /// <summary>See the real value of a secured parameter (otherwise it reads as an empty string).</summary>
    ReadSecured = 128,
}

/// <summary>The Controller a request comes from, as the engine knows it.</summary>
/// <param name="EndpointId">The Record's from_id (checked against the MTP's authenticated identity).</param>
/// <param name="ControllerRow">Its <c>Device.LocalAgent.Controller.{i}.</c> row, when there is one.</param>
public sealed record RequestingController(string EndpointId, DmObject? ControllerRow)
{
    /// <summary>The Record came over an encrypted MTP (DTLS/TLS): only then do SecuredRoles apply.</summary>
    public bool OverEncryptedMtp { get; init; }

    /// <summary>
    /// Roles (Role instance paths) the MTP derived from the Controller's certificate
    /// (ControllerTrust.Credential.{i}.Role); used directly for Controllers without a Controller row.
    /// </summary>
    public IReadOnlyList<string> CredentialRoles { get; init; } = [];
}

/// <summary>
/// The seam for controller trust: every handler asks it before reading, writing, adding,
/// deleting or executing. <paramref name="path"/> is a full instance path of an object (ending
/// in '.') or parameter.
/// </summary>
public interface IAccessPolicy
{
    bool IsAllowed(RequestingController controller, string path, Permission permission);

    /// <summary>The same question for the parameter <paramref name="name"/> of the object at <paramref name="objectPath"/>
    /// (ending in '.'): a policy may answer it without building the parameter's path.</summary>
    bool IsAllowed(RequestingController controller, string objectPath, string name, Permission permission) =>
        IsAllowed(controller, objectPath + name, permission);
}

/// <summary>Everything is allowed (the default until ControllerTrust roles are enforced).</summary>
public sealed class FullAccessPolicy : IAccessPolicy
{
    public bool IsAllowed(RequestingController controller, string path, Permission permission) => true;

    public bool IsAllowed(RequestingController controller, string objectPath, string name, Permission permission) => true;
}

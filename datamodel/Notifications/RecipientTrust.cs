using Usp.DataModel.Schema;
using Usp.DataModel.Security;
using Usp.DataModel.Store;

namespace Usp.DataModel.Notifications;

/// <summary>
/// Controller trust for what the agent sends on its own: a subscription's notification goes out
/// only when its recipient holds the TR-181 Notify ('n') permission on the path it is about, and
/// notifications about a <c>Device.LocalAgent.Request.{i}.</c> row only to the Controller that
/// started that request. The Subscription itself is accepted either way (TP-469 2.20).
/// </summary>
internal sealed class RecipientTrust(IAccessPolicy policy)
{
    private const string RequestTablePath = "Device.LocalAgent.Request.";
    // Request rows are gone from the tree when their ObjectDeletion is sent: remember who started them.
    private readonly Dictionary<string, string> _requestOriginators = new(StringComparer.Ordinal);

    /// <summary>
    /// <paramref name="path"/> as the README documents for <see cref="AccessPolicyExtensions.CanNotify"/>:
    /// the parameter (ValueChange), the table (ObjectCreation), the row (ObjectDeletion), the command or event.
    /// </summary>
    public bool MayNotify(DmObject controller, string path) => policy.CanNotify(Who(controller), path);

    /// <summary>
    /// The value a ValueChange carries: a secured parameter reads as "" (TR-369 SecuredRoles), since a
    /// Notify is not known to travel over an encrypted MTP.
    /// </summary>
    public string VisibleValue(DmObject controller, ParamSchema? param, string parameterPath, string value) =>
        param is { IsSecured: true } && !policy.IsAllowed(Who(controller), parameterPath, Permission.ReadSecured) ? "" : value;

    public bool MayRead(DmObject controller, string path) => policy.CanRead(Who(controller), path);

    /// <summary>TriggerAction Config writes on behalf of the Subscription's Controller: it needs 'w' like a Set.</summary>
    public bool MayWrite(DmObject controller, string parameterPath) => policy.IsAllowed(Who(controller), parameterPath, Permission.Write);

    /// <summary>Paths under a Request row concern only the Controller that started its operation.</summary>
    public bool MayHearAboutRequest(DmObject controller, DataModelTree tree, string path)
    {
        if (RequestRowOf(path) is not { } row)
            return true;
        var originator = tree.Find(row)?.GetValue("Originator") ?? _requestOriginators.GetValueOrDefault(row);
        return originator is not null && originator == controller.GetValue("EndpointID");
    }

    public void RequestRowCreated(DataModelTree tree, string rowPath)
    {
        if (RequestRowOf(rowPath) == rowPath && tree.Find(rowPath)?.GetValue("Originator") is { } originator)
            _requestOriginators[rowPath] = originator;
    }

    /// <summary>After an ObjectDeletion has been handled: the row's instance number may be reused.</summary>
    public void RequestRowDeleted(string rowPath) => _requestOriginators.Remove(rowPath);

    private static RequestingController Who(DmObject controller) =>
        new(controller.GetValue("EndpointID") ?? "", controller);

    /// <summary><c>Device.LocalAgent.Request.3.</c> for any path at or below that row; null otherwise.</summary>
    private static string? RequestRowOf(string path)
    {
        if (!path.StartsWith(RequestTablePath, StringComparison.Ordinal))
            return null;
        int end = path.IndexOf('.', RequestTablePath.Length);
        if (end <= RequestTablePath.Length)
            return null;
        var instance = path[RequestTablePath.Length..end];
        return instance.All(char.IsAsciiDigit) ? path[..(end + 1)] : null;
    }
}

namespace Usp.DataModel.Security;

/// <summary>
/// The checks Operate and notifications need, named after what they decide. Paths are instance
/// paths: <c>Device.X.1.Reboot()</c>, <c>Device.X.1.Boot!</c>, <c>Device.X.1.Enable</c>, <c>Device.X.</c>, <c>Device.X.1.</c>.
/// </summary>
public static class AccessPolicyExtensions
{
    /// <summary>Operate: CommandEvent 'x' on the command.</summary>
    public static bool CanExecute(this IAccessPolicy policy, RequestingController controller, string commandPath) =>
        policy.IsAllowed(controller, commandPath, Permission.Execute);

    /// <summary>
    /// Whether a Notify about <paramref name="path"/> may go to the Controller ('n'): Param for
    /// ValueChange on a parameter, Obj for ObjectCreation on a table path (<c>Device.X.</c>),
    /// InstantiatedObj for ObjectDeletion on a row (<c>Device.X.3.</c>), CommandEvent for
    /// OperationComplete on a command and for an Event.
    /// </summary>
    public static bool CanNotify(this IAccessPolicy policy, RequestingController controller, string path) =>
        policy.IsAllowed(controller, path, Permission.Subscribe);

    public static bool CanRead(this IAccessPolicy policy, RequestingController controller, string path) =>
        policy.IsAllowed(controller, path, Permission.Read);
}

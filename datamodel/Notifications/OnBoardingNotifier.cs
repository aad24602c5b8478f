using System.Globalization;
using Usp.DataModel.Handlers;
using Usp.DataModel.Store;

namespace Usp.DataModel.Notifications;

/// <summary>
/// OnBoardRequest (R-NOT.5/6): sent with send_resp true and retried until acknowledged; while the
/// Controller's OnBoardingComplete stays false it is sent again OnBoardingRestartTime seconds after
/// each NotifyResp (0 disables that). Runs under the engine lock.
/// </summary>
internal sealed class OnBoardingNotifier(NotificationService service)
{
    private readonly Dictionary<string, DateTimeOffset> _restartAt = new(StringComparer.Ordinal);

    /// <summary>At start, Controllers still waiting for onboarding get an OnBoardRequest.</summary>
    public void OnStart()
    {
        foreach (var controller in Controllers().Where(c => c.GetValue("Enable") == "true" && c.GetValue("OnBoardingComplete") == "false"))
            Send(controller);
    }

    public void Send(DmObject controller)
    {
        _restartAt.Remove(controller.Path);
        var info = service.Tree.Find("Device.DeviceInfo.");
        var notify = NotifyMessages.OnBoardRequest(info?.GetValue("ManufacturerOUI") ?? "", info?.GetValue("ProductClass") ?? "",
            info?.GetValue("SerialNumber") ?? "", GetSupportedProtocolHandler.Versions);
        var path = controller.Path;
        service.Enqueue(controller, notify, awaitResponse: true, expiresAt: null, persist: false, onAcknowledged: () => Acknowledged(path));
    }

    public void Completed(string controllerPath) => _restartAt.Remove(controllerPath);

    public DateTimeOffset? NextDue() => _restartAt.Count == 0 ? null : _restartAt.Values.Min();

    public void SendDue(DateTimeOffset now)
    {
        foreach (var (path, due) in _restartAt.ToList())
        {
            if (now < due)
                continue;
            _restartAt.Remove(path);
            var controller = service.Tree.Find(path);
            if (controller?.GetValue("Enable") == "true" && controller.GetValue("OnBoardingComplete") == "false")
                Send(controller);
        }
    }

    private void Acknowledged(string controllerPath)
    {
        var controller = service.Tree.Find(controllerPath);
        if (controller is null || controller.GetValue("OnBoardingComplete") != "false")
            return;
        if (uint.TryParse(controller.GetValue("OnBoardingRestartTime"), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
            _restartAt[controllerPath] = service.Now + TimeSpan.FromSeconds(seconds);
    }

    private IEnumerable<DmObject> Controllers() =>
        service.Tree.Find("Device.LocalAgent.")?.Table("Controller")?.Rows.ToList() ?? [];
}

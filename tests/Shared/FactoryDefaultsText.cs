using System.Globalization;
using System.Text;

namespace Usp.Tests.Support;

/// <summary>
/// The rows of the agent's factory-defaults format (<c>Path "value"</c>, one a line) that the tests' agents share: a
/// full-access Role, Controllers, their CoAP MTPs and the agent's own CoAP MTPs. Each method returns whole lines
/// ending in a newline, so a test's defaults are these blocks joined, plus lines of its own.
/// </summary>
internal static class FactoryDefaultsText
{
    /// <summary>The agent's own MTP path with the EndpointID placeholder the engine expands (<c>/e/${EndpointID}</c>).</summary>
    public const string EndpointIdPath = "/e/${EndpointID}";

    /// <summary>
    /// <c>ControllerTrust.Role.{role}</c>, named "Full Access", with one Permission on <c>Device.</c>: read, write and
    /// notify on parameters and objects, read, operate and notify on commands and events.
    /// </summary>
    public static string FullAccessRole(int role = 1, string? alias = "full-access")
    {
        string r = $"Device.LocalAgent.ControllerTrust.Role.{role}";
        var text = new StringBuilder();
        Line(text, $"{r}.Alias", alias);
        Line(text, $"{r}.Enable", "true");
        Line(text, $"{r}.Name", "Full Access");
        Line(text, $"{r}.Permission.1.Enable", "true");
        Line(text, $"{r}.Permission.1.Order", "1");
        Line(text, $"{r}.Permission.1.Targets", "Device.");
        Line(text, $"{r}.Permission.1.Param", "rw-n");
        Line(text, $"{r}.Permission.1.Obj", "rw-n");
        Line(text, $"{r}.Permission.1.InstantiatedObj", "rw-n");
        Line(text, $"{r}.Permission.1.CommandEvent", "r-xn");
        return text.ToString();
    }

    /// <summary><c>Controller.{index}</c>: its EndpointID and Enable; a null argument leaves its line out.</summary>
    /// <param name="role">The Role its AssignedRole names (<c>Device.LocalAgent.ControllerTrust.Role.{role}</c>).</param>
    public static string Controller(int index, string endpointId, bool enable = true, int? role = 1, string? alias = null, bool? onBoardingComplete = null)
    {
        string c = $"Device.LocalAgent.Controller.{index}";
        var text = new StringBuilder();
        Line(text, $"{c}.Alias", alias);
        Line(text, $"{c}.Enable", Bool(enable));
        Line(text, $"{c}.EndpointID", endpointId);
        Line(text, $"{c}.AssignedRole", role is { } r ? $"Device.LocalAgent.ControllerTrust.Role.{r}" : null);
        Line(text, $"{c}.OnBoardingComplete", onBoardingComplete is { } done ? Bool(done) : null);
        return text.ToString();
    }

    /// <summary><c>Controller.{controller}.MTP.{mtp}</c>, enabled, over CoAP to host, port and path; a null argument leaves its line out.</summary>
    public static string ControllerCoapMtp(int controller, string host, int? port, string path, bool? encrypted = false, int mtp = 1, string? alias = null)
    {
        string m = $"Device.LocalAgent.Controller.{controller}.MTP.{mtp}";
        var text = new StringBuilder();
        Line(text, $"{m}.Alias", alias);
        Line(text, $"{m}.Enable", "true");
        Line(text, $"{m}.Protocol", "CoAP");
        Line(text, $"{m}.CoAP.Host", host);
        Line(text, $"{m}.CoAP.Port", port?.ToString(CultureInfo.InvariantCulture));
        Line(text, $"{m}.CoAP.Path", path);
        Line(text, $"{m}.CoAP.EnableEncryption", encrypted is { } e ? Bool(e) : null);
        return text.ToString();
    }

    /// <summary>The agent's <c>LocalAgent.MTP.{index}</c>, enabled, serving CoAP on port and path; a null argument leaves its line out.</summary>
    public static string AgentCoapMtp(int index, int port, string path, bool? encrypted = false, string? alias = null)
    {
        string m = $"Device.LocalAgent.MTP.{index}";
        var text = new StringBuilder();
        Line(text, $"{m}.Alias", alias);
        Line(text, $"{m}.Enable", "true");
        Line(text, $"{m}.Protocol", "CoAP");
        Line(text, $"{m}.CoAP.Port", port.ToString(CultureInfo.InvariantCulture));
        Line(text, $"{m}.CoAP.Path", path);
        Line(text, $"{m}.CoAP.EnableEncryption", encrypted is { } e ? Bool(e) : null);
        return text.ToString();
    }

    /// <summary>Writes <paramref name="text"/> as <c>factory-defaults.txt</c> in <paramref name="directory"/> (created if missing); returns its path.</summary>
    public static string WriteFile(string directory, string text)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, "factory-defaults.txt");
        File.WriteAllText(path, text);
        return path;
    }

    private static void Line(StringBuilder text, string path, string? value)
    {
        if (value is not null)
        {
            text.Append(path).Append(" \"").Append(value).Append("\"\n");
        }
    }

    private static string Bool(bool value) => value ? "true" : "false";
}

using System.Text;

namespace Usp.DataModel;

/// <summary>
/// TR-369 Endpoint Identifier rules: validation and the <c>os::&lt;OUI&gt;-&lt;SerialNumber&gt;</c> form. The one
/// validator every entry point uses (configuration, command line, the engine).
/// </summary>
public static class EndpointIdentity
{
    /// <summary>What a valid Endpoint ID looks like, for messages.</summary>
    public const string Requirement = "a TR-369 Endpoint ID authority-scheme:[authority-id]:instance-id, such as proto::agent-1 or os::00D09E-SN1";

    private static readonly string[] Schemes = ["oui", "cid", "pen", "self", "user", "os", "ops", "uuid", "imei", "proto", "doc", "fqdn"];

    /// <summary>Checks <c>authority-scheme ":" [authority-id] ":" instance-id</c> (R-ARC.2a, R-ARC.5, R-ARC.6).</summary>
    public static bool IsValid(string endpointId, out string problem)
    {
        problem = "";
        var first = endpointId.IndexOf(':');
        var second = first < 0 ? -1 : endpointId.IndexOf(':', first + 1);
        if (first < 0 || second < 0)
        {
            problem = $"'{endpointId}' is not of the form scheme:[authority]:instance-id.";
            return false;
        }
        var scheme = endpointId[..first];
        var authority = endpointId[(first + 1)..second];
        var instance = endpointId[(second + 1)..];
        if (!Schemes.Contains(scheme, StringComparer.Ordinal))
        {
            problem = $"'{scheme}' is not a TR-369 authority-scheme ({string.Join(", ", Schemes)}).";
            return false;
        }
        if (!authority.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
        {
            problem = $"the authority-id '{authority}' of '{endpointId}' may hold only letters, digits, '-' and '.'.";
            return false;
        }
        if (instance.Length == 0 || instance.Length > 50)
        {
            problem = $"the instance-id of '{endpointId}' must be 1 to 50 characters long.";
            return false;
        }
        for (int i = 0; i < instance.Length; i++)
        {
            char c = instance[i];
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')
                continue;
            if (c == '%' && i + 2 < instance.Length && char.IsAsciiHexDigit(instance[i + 1]) && char.IsAsciiHexDigit(instance[i + 2]))
            {
                i += 2;
                continue;
            }
            problem = $"the instance-id of '{endpointId}' contains '{c}'; only letters, digits, '-', '.', '_' and %XX are allowed.";
            return false;
        }
        return true;
    }

    /// <summary><c>os::&lt;OUI&gt;-&lt;SerialNumber&gt;</c> with the serial number percent-encoded where needed.</summary>
    public static string FromOuiAndSerial(string oui, string serialNumber)
    {
        var sb = new StringBuilder("os::").Append(oui).Append('-');
        foreach (byte b in Encoding.UTF8.GetBytes(serialNumber))
        {
            char c = (char)b;
            if (b < 128 && (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
                sb.Append(c);
            else
                sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}

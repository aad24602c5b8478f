using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Usp.Agent.Discovery;
using Usp.DataModel;

namespace Usp.Agent.Hosting;

/// <summary>
/// Reads and validates <see cref="AgentOptions"/> from the configuration map (see <see cref="AgentConfigurationSources"/>). Values are read explicitly, not
/// bound by reflection, so the trimmed binary keeps working and every bad value gets a precise message.
/// </summary>
internal static class AgentOptionsReader
{
    /// <param name="currentDirectory">What a relative DataDir is relative to.</param>
    public static AgentOptions Read(IReadOnlyDictionary<string, string?> configuration, string currentDirectory, FactoryDefaultsLocator factoryDefaults)
    {
        var section = new Section(configuration, AgentOptions.SectionName);

        string dataDir = Path.GetFullPath(NonEmpty(section, "DataDir") ?? "var", currentDirectory);
        string? endpointId = NonEmpty(section, "EndpointId");
        if (endpointId is not null && !EndpointIdentity.IsValid(endpointId, out string problem))
        {
            throw Invalid(section, "EndpointId", endpointId, $"{EndpointIdentity.Requirement} ({problem})");
        }

        string bind = NonEmpty(section, "Bind") ?? "0.0.0.0";
        if (!IPAddress.TryParse(bind, out _))
        {
            throw Invalid(section, "Bind", bind, "an IPv4 or IPv6 address, such as 0.0.0.0 or ::");
        }

        HalKind hal = Hal(section);
        Usp.Hal.Config.HalSettings halSettings;
        try
        {
            halSettings = Usp.Hal.Config.HalSettingsReader.Read(configuration, simulated: hal == HalKind.Simulated);
        }
        catch (Usp.Hal.Config.HalConfigurationException e)
        {
            throw new AgentConfigurationException(e.Message);
        }

        return new AgentOptions
        {
            DataDir = dataDir,
            AdminSocket = NonEmpty(section, "AdminSocket") is { } adminSocket ? Path.GetFullPath(adminSocket, currentDirectory) : null,
            EndpointId = endpointId,
            FactoryDefaults = factoryDefaults.Resolve(NonEmpty(section, "FactoryDefaults") ?? FactoryDefaultsLocator.DefaultRelativePath),
            CoapPort = Port(section, "CoapPort", 5683),
            CoapsPort = Port(section, "CoapsPort", 5684),
            Bind = bind,
            Hal = hal,
            HalSettings = halSettings,
            Mdns = Boolean(section, "Mdns", true),
            LogLevel = Level(section),
            RebootCommand = NonEmpty(section, "RebootCommand"),
            Certificate = FilePath(section, "Certificate", currentDirectory),
            PrivateKey = FilePath(section, "PrivateKey", currentDirectory),
            TrustStore = FilePath(section, "TrustStore", currentDirectory),
            PskIdentity = NonEmpty(section, "PskIdentity"),
            PskKey = PskKey(section),
            DtlsIdleTimeout = TimeSpan.FromSeconds(Count(section, "DtlsIdleTimeoutSeconds", 3600, 1)),
            DtlsMaxSessions = Count(section, "DtlsMaxSessions", 64, 1),
            AbsoluteTime = NonEmpty(section, "AbsoluteTime") is null or "auto" ? null : Boolean(section, "AbsoluteTime", false),
            ManufacturerOui = Oui(section),
            SerialNumber = Text(section, "SerialNumber"),
            ProductClass = Text(section, "ProductClass"),
            SystemRoot = Path.GetFullPath(NonEmpty(section, "SystemRoot") ?? "/", currentDirectory),
            Discovery = Discovery(new Section(configuration, DiscoveryOptions.SectionName)),
        };
    }

    /// <summary>Six hex digits (an IEEE OUI), upper-cased as TR-181 writes it.</summary>
    private static string? Oui(Section section)
    {
        string? text = NonEmpty(section, "ManufacturerOui");
        if (text is null)
        {
            return null;
        }

        return text.Length == 6 && text.All(char.IsAsciiHexDigit)
            ? text.ToUpperInvariant()
            : throw Invalid(section, "ManufacturerOui", text, "six hex digits, the manufacturer's IEEE OUI, such as 00D09E");
    }

    /// <summary>A DeviceInfo string: at most 64 printable characters.</summary>
    private static string? Text(Section section, string key)
    {
        string? text = NonEmpty(section, key);
        return text is null || (text.Length <= 64 && !text.Any(char.IsControl))
            ? text
            : throw Invalid(section, key, text, "at most 64 printable characters");
    }

    private static string? FilePath(Section section, string key, string currentDirectory) =>
        NonEmpty(section, key) is { } path ? Path.GetFullPath(path, currentDirectory) : null;

    private static string? PskKey(Section section)
    {
        string? text = NonEmpty(section, "PskKey");
        if (text is null)
        {
            return null;
        }

        return text.Length is >= 2 and <= 128 && text.Length % 2 == 0 && text.All(Uri.IsHexDigit)
            ? text
            : throw Invalid(section, "PskKey", "(hidden)", "the pre-shared key as 2 to 128 hex digits");
    }

    private static int Count(Section section, string key, int fallback, int minimum)
    {
        string? text = NonEmpty(section, key);
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= minimum
            ? value
            : throw Invalid(section, key, text, $"a whole number of at least {minimum}");
    }

    private static DiscoveryOptions Discovery(Section section)
    {
        string? backend = NonEmpty(section, "Backend");
        string? hostName = NonEmpty(section, "HostName");
        if (hostName is not null && (hostName.Contains('.', StringComparison.Ordinal) || System.Text.Encoding.UTF8.GetByteCount(hostName) > 63))
        {
            throw Invalid(section, "HostName", hostName, "one DNS label of at most 63 bytes, without dots (it is advertised as <HostName>.local)");
        }

        List<string> subtypes = List(section, "Subtypes");
        foreach (string subtype in subtypes)
        {
            if (!subtype.StartsWith('_') || System.Text.Encoding.UTF8.GetByteCount(subtype) > 63 || subtype.Contains('.', StringComparison.Ordinal))
            {
                throw Invalid(section, "Subtypes", subtype, "subtype labels such as _gateway or _iot-device, comma-separated");
            }
        }

        return new DiscoveryOptions
        {
            Backend = backend?.ToLowerInvariant() switch
            {
                null or "auto" => DiscoveryBackend.Auto,
                "builtin" => DiscoveryBackend.Builtin,
                "avahi" => DiscoveryBackend.Avahi,
                _ => throw Invalid(section, "Backend", backend, "builtin, avahi or auto"),
            },
            HostName = hostName,
            Interfaces = List(section, "Interfaces"),
            Subtypes = subtypes,
            AvahiServiceFile = NonEmpty(section, "AvahiServiceFile") ?? DiscoveryOptions.DefaultAvahiServiceFile,
            AvahiSocket = NonEmpty(section, "AvahiSocket") ?? DiscoveryOptions.DefaultAvahiSocket,
        };
    }

    private static List<string> List(Section section, string key) =>
        [.. (NonEmpty(section, key) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static string? NonEmpty(Section section, string key)
    {
        string? value = section[key]?.Trim();
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static int Port(Section section, string key, int fallback)
    {
        string? text = NonEmpty(section, key);
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= 65535
            ? port
            : throw Invalid(section, key, text, "a UDP port number from 0 to 65535 (0 disables that MTP)");
    }

    private static bool Boolean(Section section, string key, bool fallback)
    {
        string? text = NonEmpty(section, key);
        if (text is null)
        {
            return fallback;
        }

        return bool.TryParse(text, out bool value) ? value : throw Invalid(section, key, text, "true or false");
    }

    private static HalKind Hal(Section section)
    {
        string? text = NonEmpty(section, "Hal");
        return text?.ToLowerInvariant() switch
        {
            null or "simulated" => HalKind.Simulated,
            "linux" => HalKind.Linux,
            _ => throw Invalid(section, "Hal", text, "simulated or linux"),
        };
    }

    private static LogLevel Level(Section section)
    {
        string? text = NonEmpty(section, "LogLevel");
        if (text is null)
        {
            return LogLevel.Information;
        }

        return LogLevelNames.TryParse(text, out LogLevel level)
            ? level
            : throw Invalid(section, "LogLevel", text, LogLevelNames.Choices);
    }

    private static AgentConfigurationException Invalid(Section section, string key, string value, string expected) =>
        new($"configuration {section.Path}:{key} is '{value}': expected {expected}.");

    /// <summary>The keys under one section of the configuration map.</summary>
    private readonly record struct Section(IReadOnlyDictionary<string, string?> Configuration, string Path)
    {
        public string? this[string key] =>
            Configuration.TryGetValue(Path + AgentConfigurationSources.KeyDelimiter + key, out string? value) ? value : null;
    }
}

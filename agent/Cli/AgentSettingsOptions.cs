using System.CommandLine;
using System.Globalization;
using System.Net;
using Usp.Agent.Hosting;
using Usp.DataModel;

namespace Usp.Agent.Cli;

/// <summary>
/// The options that configure a running agent. Each one maps onto a configuration key, so the command
/// line simply sits on top of the appsettings / file / environment precedence.
/// </summary>
internal sealed class AgentSettingsOptions
{
    private readonly Option<string> _config = new("--config") { Description = $"Configuration file to read instead of {AgentConfigurationSources.DefaultConfigFile}", HelpName = "FILE" };
    private readonly Option<string> _dataDir = new("--data-dir") { Description = "Directory for the agent's state; created if missing [default: ./var]", HelpName = "DIR" };
    private readonly Option<string> _endpointId = new("--endpoint-id") { Description = "USP Endpoint ID, such as proto::agent-1 [default: assigned by the data model]", HelpName = "ID" };
    private readonly Option<string> _factoryDefaults = new("--factory-defaults") { Description = $"Factory-default data model file [default: {FactoryDefaultsLocator.DefaultRelativePath}]", HelpName = "FILE" };
    private readonly Option<int> _coapPort = PortOption.Create("--coap-port", "UDP port of the CoAP MTP; 0 disables it [default: 5683]", "0 disables that MTP");
    private readonly Option<int> _coapsPort = PortOption.Create("--coaps-port", "UDP port of the CoAP-over-DTLS MTP; 0 disables it [default: 5684]", "0 disables that MTP");
    private readonly Option<string> _cert = new("--cert") { Description = "The agent's DTLS certificate (PEM) [default: a development identity under the data directory]", HelpName = "FILE" };
    private readonly Option<string> _key = new("--key") { Description = "The private key of --cert (PEM)", HelpName = "FILE" };
    private readonly Option<string> _trustStore = new("--trust-store") { Description = "PEM certificates trusted for Controllers (CAs or Controller certificates)", HelpName = "FILE" };
    private readonly Option<string> _bind = new("--bind") { Description = "Local address the MTPs listen on [default: 0.0.0.0]", HelpName = "ADDR" };
    private readonly Option<string> _hal = new("--hal") { Description = "Hardware backend: simulated or linux [default: simulated]" };
    private readonly Option<bool> _noMdns = new("--no-mdns") { Description = "Do not advertise the agent with mDNS/DNS-SD" };
    private readonly Option<string> _logLevel = new("--log-level") { Description = $"Minimum log level: {LogLevelNames.Choices} [default: information]", HelpName = "LEVEL" };
    private readonly bool _full;

    /// <param name="full">All the options of <c>run</c>; otherwise only <c>--config</c> and <c>--data-dir</c> (what the admin verbs need).</param>
    public AgentSettingsOptions(bool full)
    {
        _full = full;
        _hal.AcceptOnlyFromAmong("simulated", "linux");
        _logLevel.AcceptOnlyFromAmong(StringComparer.OrdinalIgnoreCase, [.. LogLevelNames.All]);
        _endpointId.Validators.Add(result =>
        {
            string? value = result.GetValueOrDefault<string>();
            if (value is not null && !EndpointIdentity.IsValid(value, out string problem))
            {
                result.AddError($"--endpoint-id '{value}' is not {EndpointIdentity.Requirement}: {problem}");
            }
        });
        _bind.Validators.Add(result =>
        {
            string? value = result.GetValueOrDefault<string>();
            if (value is not null && !IPAddress.TryParse(value, out _))
            {
                result.AddError($"--bind '{value}' is not an IPv4 or IPv6 address.");
            }
        });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_config);
        command.Options.Add(_dataDir);
        if (_full)
        {
            command.Options.Add(_endpointId);
            command.Options.Add(_factoryDefaults);
            command.Options.Add(_coapPort);
            command.Options.Add(_coapsPort);
            command.Options.Add(_cert);
            command.Options.Add(_key);
            command.Options.Add(_trustStore);
            command.Options.Add(_bind);
            command.Options.Add(_hal);
            command.Options.Add(_noMdns);
            command.Options.Add(_logLevel);
        }
    }

    public AgentSettingsArguments Read(ParseResult parse)
    {
        var keys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        Map(parse, _dataDir, "DataDir", keys);
        if (_full)
        {
            Map(parse, _endpointId, "EndpointId", keys);
            Map(parse, _factoryDefaults, "FactoryDefaults", keys);
            Map(parse, _bind, "Bind", keys);
            Map(parse, _hal, "Hal", keys);
            Map(parse, _logLevel, "LogLevel", keys);
            Map(parse, _cert, "Certificate", keys);
            Map(parse, _key, "PrivateKey", keys);
            Map(parse, _trustStore, "TrustStore", keys);
            if (parse.GetResult(_coapPort) is not null)
            {
                keys[Key("CoapPort")] = parse.GetValue(_coapPort).ToString(CultureInfo.InvariantCulture);
            }

            if (parse.GetResult(_coapsPort) is not null)
            {
                keys[Key("CoapsPort")] = parse.GetValue(_coapsPort).ToString(CultureInfo.InvariantCulture);
            }

            if (parse.GetValue(_noMdns))
            {
                keys[Key("Mdns")] = "false";
            }
        }

        string? config = parse.GetValue(_config);
        return new AgentSettingsArguments(config is null ? null : Path.GetFullPath(config), keys);
    }

    private static void Map(ParseResult parse, Option<string> option, string key, Dictionary<string, string?> keys)
    {
        string? value = parse.GetValue(option);
        if (value is not null)
        {
            keys[Key(key)] = value;
        }
    }

    private static string Key(string name) => $"{AgentOptions.SectionName}:{name}";
}

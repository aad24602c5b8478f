using System.CommandLine;
using System.Net;
using Usp.Agent.Dtls;
using Usp.Agent.Hosting;
using Usp.DataModel;

namespace Usp.Agent.Cli;

/// <summary>
/// <c>usp-agent gen-cert --endpoint-id ID --out DIR</c>: a development CA, an agent certificate for ID and a
/// Controller certificate (ECDSA P-256, subjectAltName <c>urn:bbf:usp:id:…</c>) as PEM files in DIR.
/// </summary>
internal static class GenCertCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var endpointId = new Option<string>("--endpoint-id") { Description = "The agent's USP Endpoint ID, written into its certificate", HelpName = "ID", Required = true };
        var controllerId = new Option<string>("--controller-id") { Description = $"The Controller certificate's Endpoint ID [default: {DevelopmentIdentity.DefaultControllerId}]", HelpName = "ID" };
        var outDir = new Option<string>("--out") { Description = "Directory for ca.pem/ca.key, agent.pem/agent.key, controller.pem/controller.key; created if missing", HelpName = "DIR", Required = true };
        var dns = new Option<string[]>("--dns") { Description = "An extra DNS name for the agent certificate (repeatable)", HelpName = "NAME", AllowMultipleArgumentsPerToken = false };
        var ip = new Option<string[]>("--ip") { Description = "An extra IP address for the agent certificate (repeatable)", HelpName = "ADDR", AllowMultipleArgumentsPerToken = false };
        foreach (Option<string> id in new[] { endpointId, controllerId })
        {
            id.Validators.Add(result =>
            {
                string? value = result.GetValueOrDefault<string>();
                if (value is not null && !EndpointIdentity.IsValid(value, out string problem))
                {
                    result.AddError($"{result.Option.Name} '{value}' is not {EndpointIdentity.Requirement}: {problem}");
                }
            });
        }

        ip.Validators.Add(result =>
        {
            foreach (string value in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (!IPAddress.TryParse(value, out _))
                {
                    result.AddError($"--ip '{value}' is not an IPv4 or IPv6 address.");
                }
            }
        });

        var command = new Command("gen-cert", "Make a development CA, an agent certificate and a Controller certificate (PEM) for CoAP over DTLS");
        command.Options.Add(endpointId);
        command.Options.Add(outDir);
        command.Options.Add(controllerId);
        command.Options.Add(dns);
        command.Options.Add(ip);
        command.SetAction(parse =>
        {
            var identity = new DevelopmentIdentity(Path.GetFullPath(parse.GetValue(outDir)!));
            try
            {
                identity.Generate(
                    parse.GetValue(endpointId)!,
                    parse.GetValue(controllerId) ?? DevelopmentIdentity.DefaultControllerId,
                    DateTimeOffset.UtcNow,
                    parse.GetValue(dns),
                    (parse.GetValue(ip) ?? []).Select(IPAddress.Parse));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"usp-agent gen-cert: cannot write to {identity.Directory}: {e.Message}");
                return ExitCodes.Failure;
            }

            output.WriteLine($"CA:         {identity.CaCertificate} (key {identity.CaKey})");
            output.WriteLine($"agent:      {identity.AgentCertificate} (key {identity.AgentKey})");
            output.WriteLine($"controller: {identity.ControllerCertificate} (key {identity.ControllerKey})");
            output.WriteLine($"run the agent with: --cert {identity.AgentCertificate} --key {identity.AgentKey} --trust-store {identity.CaCertificate}");
            return ExitCodes.Success;
        });
        return command;
    }
}

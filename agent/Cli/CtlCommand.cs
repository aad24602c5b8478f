using System.CommandLine;
using Usp.Agent.Hosting;
using Usp.DataModel;

namespace Usp.Agent.Cli;

/// <summary>
/// <c>usp-agent ctl</c>: a USP Controller on the command line that sends one request to an agent over the
/// CoAP MTP (<see cref="CtlClient"/>), and prints the response readably or as JSON.
/// </summary>
internal sealed class CtlCommand
{
    public const string DefaultFrom = "proto::usp-agent-ctl";

    public CtlCommand(TextWriter output, TextWriter error)
    {
        // Text, made a Uri only when ctl runs: an Option<Uri> would load System.Private.Uri into every agent process.
        var agent = new Option<string>("--agent")
        {
            Description = "The agent's USP CoAP URI, such as coap://127.0.0.1:5683/usp/agent",
            HelpName = "coap[s]://HOST:PORT/PATH",
            Required = true,
            Recursive = true,
            CustomParser = result => result.Tokens[^1].Value,
        };
        agent.Validators.Add(result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (AgentUriProblem(text) is { } problem)
            {
                result.AddError($"--agent '{text}': {problem}");
            }
        });
        var from = new Option<string>("--from")
        {
            Description = $"The Controller's Endpoint ID [default: the one --cert names, else {DefaultFrom}]",
            HelpName = "ID",
            Recursive = true,
        };
        from.Validators.Add(result =>
        {
            string? value = result.GetValueOrDefault<string>();
            if (value is not null && !EndpointIdentity.IsValid(value, out string problem))
            {
                result.AddError($"--from '{value}' is not {EndpointIdentity.Requirement}: {problem}");
            }
        });
        Option<int> listen = PortOption.Create("--listen", "Local UDP port for the agent's responses; 0 picks a free one [default: 0]", "0 picks a free one");
        listen.Recursive = true;
        var json = new Option<bool>("--json") { Description = "Print the response as JSON", Recursive = true };
        var to = new Option<string>("--to")
        {
            Description = "The agent's Endpoint ID [default: taken from an /e/<EndpointID> path]",
            HelpName = "ID",
            Recursive = true,
        };
        to.Validators.Add(result =>
        {
            string? value = result.GetValueOrDefault<string>();
            if (value is not null && !EndpointIdentity.IsValid(value, out string problem))
            {
                result.AddError($"--to '{value}' is not {EndpointIdentity.Requirement}: {problem}");
            }
        });

        Option<string> cert = FileOption("--cert", "coaps: the Controller's certificate (PEM, leaf first), e.g. controller.pem from gen-cert or <data-dir>/dtls/");
        Option<string> key = FileOption("--key", "coaps: the Controller certificate's private key (PEM)");
        Option<string> trustStore = FileOption("--trust-store", "coaps: the CA certificates (PEM) the agent's certificate must chain to, e.g. ca.pem");

        Command = new Command("ctl", "Act as a USP Controller: send one request to an agent over CoAP (or CoAP over DTLS) and print the response");
        Command.Options.Add(agent);
        Command.Options.Add(from);
        Command.Options.Add(listen);
        Command.Options.Add(json);
        Command.Options.Add(to);
        Command.Options.Add(cert);
        Command.Options.Add(key);
        Command.Options.Add(trustStore);
        foreach (Command verb in DataModelVerbs.Create())
        {
            verb.SetAction((parse, cancellationToken) => new CtlClient(output, error).RunAsync(
                new CtlRequest(
                    new Uri(parse.GetValue(agent)!, UriKind.Absolute),
                    parse.GetValue(from),
                    parse.GetValue(to),
                    parse.GetValue(listen),
                    parse.GetValue(json),
                    verb.Name,
                    DataModelVerbs.RequestArguments(parse, verb),
                    Certificates(parse.GetValue(cert), parse.GetValue(key), parse.GetValue(trustStore))),
                cancellationToken));
            Command.Subcommands.Add(verb);
        }
    }

    public Command Command { get; }

    private static Option<string> FileOption(string name, string description) =>
        new(name) { Description = description, HelpName = "FILE", Recursive = true };

    /// <summary>The DTLS files when any is given (all three are then required: <see cref="CtlClient"/> says which use is wrong).</summary>
    private static CtlCertificates? Certificates(string? certificate, string? key, string? trustStore) =>
        certificate is null && key is null && trustStore is null ? null : new CtlCertificates(certificate ?? "", key ?? "", trustStore ?? "");

    /// <summary>Why the text is not a USP CoAP URI the agent can be reached at, or null when it is one.</summary>
    public static string? AgentUriProblem(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri))
        {
            return "not an absolute URI";
        }

        if (uri.Scheme is not ("coap" or "coaps"))
        {
            return "the scheme must be coap or coaps";
        }

        if (string.IsNullOrEmpty(uri.Host))
        {
            return "the URI names no host";
        }

        return uri.AbsolutePath.Length <= 1 ? "the URI needs the agent's resource path, such as /usp/agent" : null;
    }
}

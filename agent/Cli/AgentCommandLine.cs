using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Usp.Agent.Hosting;
using Usp.Agent.Hosting.LocalAdmin;

namespace Usp.Agent.Cli;

/// <summary>
/// The command line of <c>usp-agent</c>. Scripts and test suites rely on it, so it changes only by adding:
/// <code>
/// usp-agent [run] [--config FILE] [--data-dir DIR] [--endpoint-id ID] [--factory-defaults FILE] [--coap-port N]
///           [--coaps-port N] [--bind ADDR] [--hal simulated|linux] [--no-mdns] [--log-level LEVEL]
/// usp-agent --version
/// usp-agent get|set|add|delete|operate|instances|supported-dm ARGS [--data-dir DIR] [--config FILE] [--json]
/// usp-agent factory-reset [--data-dir DIR] [--config FILE]
/// usp-agent ctl --agent coap[s]://HOST:PORT/PATH [--from ID] [--listen PORT] [--json] [--cert F --key F --trust-store F] get|set|... ARGS
/// </code>
/// </summary>
internal sealed class AgentCommandLine
{
    private readonly RootCommand _root;
    private readonly TextWriter _output;
    private readonly TextWriter _error;
    private readonly Func<AgentSettingsArguments, CancellationToken, Task<int>> _runAgent;
    private readonly Func<AgentSettingsArguments, string> _resolveAdminSocket;
    private readonly Func<AgentSettingsArguments, LocalAdminRequest, CancellationToken, Task<LocalAdminResponse>>? _offline;

    /// <param name="runAgent">Runs the agent until it stops; returns the exit status.</param>
    /// <param name="resolveAdminSocket">The local administration socket the configuration names (for the admin verbs).</param>
    /// <param name="offline">Answers a verb on the data directory itself when no agent runs there; null: the verb fails instead.</param>
    public AgentCommandLine(
        Func<AgentSettingsArguments, CancellationToken, Task<int>> runAgent,
        Func<AgentSettingsArguments, string> resolveAdminSocket,
        TextWriter output,
        TextWriter error,
        Func<AgentSettingsArguments, LocalAdminRequest, CancellationToken, Task<LocalAdminResponse>>? offline = null)
    {
        _offline = offline;
        _runAgent = runAgent;
        _resolveAdminSocket = resolveAdminSocket;
        _output = output;
        _error = error;
        _root = new RootCommand("usp-agent: a USP (TR-369) Agent for Linux gateways. Without a command, runs the agent.");
        foreach (Option option in _root.Options)
        {
            if (option is VersionOption version)
            {
                version.Action = new PrintVersionAction(output);
            }
        }

        AddRun(_root);
        var run = new Command("run", "Run the agent (the default command)");
        AddRun(run);
        _root.Subcommands.Add(run);

        foreach (Command verb in DataModelVerbs.Create())
        {
            AddLocal(verb);
            _root.Subcommands.Add(verb);
        }

        _root.Subcommands.Add(FactoryReset());
        _root.Subcommands.Add(new CtlCommand(output, error).Command);
        _root.Subcommands.Add(GenCertCommand.Create(output, error));
    }

    public async Task<int> InvokeAsync(string[] args, CancellationToken cancellationToken)
    {
        ParseResult parse = _root.Parse(args);
        if (parse.Action is ParseErrorAction parseError)
        {
            // Scripts read the error; the whole help text would bury it.
            parseError.ShowHelp = false;
        }

        var configuration = new InvocationConfiguration
        {
            Output = _output,
            Error = _error,

            // The host handles SIGTERM/SIGINT itself and must get its shutdown time; the parser must not cancel first.
            ProcessTerminationTimeout = null,
        };
        int code = await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        if (parse.Errors.Count == 0)
        {
            return code;
        }

        await _error.WriteLineAsync($"See '{CommandPath(parse)} --help'.").ConfigureAwait(false);
        return ExitCodes.Usage;
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (SymbolResult? result = parse.CommandResult; result is CommandResult { Command: not RootCommand } command; result = result.Parent)
        {
            names.Insert(0, command.Command.Name);
        }

        return string.Join(' ', ["usp-agent", .. names]);
    }

    private void AddRun(Command command)
    {
        var settings = new AgentSettingsOptions(full: true);
        settings.AddTo(command);
        command.SetAction((parse, cancellationToken) => _runAgent(settings.Read(parse), cancellationToken));
    }

    /// <summary>A data-model verb on the local channel: resolve the data directory, send, print the answer.</summary>
    private void AddLocal(Command verb)
    {
        var settings = new AgentSettingsOptions(full: false);
        settings.AddTo(verb);
        var json = new Option<bool>("--json") { Description = "Ask for the answer as JSON" };
        verb.Options.Add(json);
        verb.SetAction((parse, cancellationToken) => SendAsync(
            parse,
            settings,
            new LocalAdminRequest(verb.Name, DataModelVerbs.RequestArguments(parse, verb), parse.GetValue(json)),
            cancellationToken));
    }

    private Command FactoryReset()
    {
        var command = new Command(LocalAdminVerbs.FactoryReset,
            "Restart the running agent from its factory defaults (boot cause LocalFactoryReset); with no agent running, reset the data directory");
        var settings = new AgentSettingsOptions(full: false);
        settings.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
            SendAsync(parse, settings, new LocalAdminRequest(LocalAdminVerbs.FactoryReset, [], false), cancellationToken));
        return command;
    }

    private async Task<int> SendAsync(ParseResult parse, AgentSettingsOptions settings, LocalAdminRequest request, CancellationToken cancellationToken)
    {
        string socketPath;
        try
        {
            socketPath = _resolveAdminSocket(settings.Read(parse));
        }
        catch (AgentConfigurationException e)
        {
            await _error.WriteLineAsync($"usp-agent {request.Verb}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Configuration;
        }

        LocalAdminResponse response;
        try
        {
            response = await LocalAdminClient.SendAsync(socketPath, request, cancellationToken).ConfigureAwait(false);
            if (response.ExitCode == ExitCodes.Unavailable && LocalAdminClient.NobodyAnswered(response) && _offline is not null)
            {
                response = await _offline(settings.Read(parse), request, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            await _error.WriteLineAsync($"usp-agent {request.Verb}: the local administration channel failed: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (AgentConfigurationException e)
        {
            await _error.WriteLineAsync($"usp-agent {request.Verb}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Configuration;
        }

        TextWriter target = response.ExitCode == ExitCodes.Success ? _output : _error;
        await target.WriteLineAsync(response.Body).ConfigureAwait(false);
        return response.ExitCode;
    }

    private sealed class PrintVersionAction(TextWriter output) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            output.WriteLine(AgentVersion.Describe());
            return ExitCodes.Success;
        }
    }
}

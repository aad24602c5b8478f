using System.CommandLine;
using System.CommandLine.Parsing;

namespace Usp.Agent.Cli;

/// <summary>
/// The data-model verbs (get, set, add, delete, operate, instances, supported-dm), with their arguments and
/// validation, built the same way for local administration and for <c>ctl</c>. A verb's request arguments are
/// its positional values in order, followed by <c>--first-level-only</c> when given.
/// </summary>
internal static class DataModelVerbs
{
    private const string PathHelp = "Paths start with 'Device.'; objects end with '.'; commands end with '()'.";

    private const string FirstLevelOnlyName = "--first-level-only";

    /// <summary>Builds the verb commands, without actions: the caller decides where the request goes.</summary>
    public static IEnumerable<Command> Create()
    {
        yield return Verb("get", "Read parameters (USP Get). " + PathHelp,
            Many("paths", "PATH", "Parameter, object or search paths", ValidatePath));
        yield return Verb("set", "Change parameters (USP Set), such as Device.LocalAgent.X=1",
            Many("settings", "PATH=VALUE", "Parameter paths with their new values", ValidateSetting));
        yield return Verb("add", "Create an object instance (USP Add), optionally with parameter values",
            One("object", "OBJECT.", "The multi-instance object to add to, ending with '.'", ValidateObject),
            Optional("settings", "NAME=VALUE", "Parameters of the new instance", ValidateAssignment));
        yield return Verb("delete", "Delete object instances (USP Delete)",
            Many("objects", "OBJECT.", "Instance paths, each ending with '.'", ValidateObject));
        yield return Verb("operate", "Run a command (USP Operate), such as Device.Reboot()",
            One("command", "COMMAND()", "The command path, ending with '()'", ValidateCommand),
            Optional("inputs", "NAME=VALUE", "Input arguments of the command", ValidateAssignment));
        yield return Verb("instances", "List object instances (USP GetInstances)",
            Many("objects", "OBJECT.", "Object paths, each ending with '.'", ValidateObject), FirstLevelOnly());
        yield return Verb("supported-dm", "Describe the supported data model (USP GetSupportedDM)",
            Many("paths", "PATH", "Object paths, each ending with '.'", ValidateObject), FirstLevelOnly());
    }

    private static Command Verb(string name, string description, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (Symbol symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case Option option:
                    command.Options.Add(option);
                    break;
            }
        }

        return command;
    }

    /// <summary>The verb's request arguments: its positional values in order, then its flags.</summary>
    public static List<string> RequestArguments(ParseResult parse, Command command)
    {
        var arguments = new List<string>();
        foreach (Argument argument in command.Arguments)
        {
            switch (argument)
            {
                case Argument<string> single when parse.GetValue(single) is { } value:
                    arguments.Add(value);
                    break;
                case Argument<string[]> many:
                    arguments.AddRange(parse.GetValue(many) ?? []);
                    break;
            }
        }

        foreach (Option option in command.Options)
        {
            if (option is Option<bool> { Name: FirstLevelOnlyName } flag && parse.GetValue(flag))
            {
                arguments.Add(flag.Name);
            }
        }

        return arguments;
    }

    private static Argument<string> One(string name, string helpName, string description, Func<string, string?> validate)
    {
        var argument = new Argument<string>(name) { Description = description, HelpName = helpName };
        argument.Validators.Add(result => Validate(result, validate));
        return argument;
    }

    private static Argument<string[]> Many(string name, string helpName, string description, Func<string, string?> validate)
    {
        var argument = new Argument<string[]>(name) { Description = description, HelpName = helpName, Arity = ArgumentArity.OneOrMore };
        argument.Validators.Add(result => Validate(result, validate));
        return argument;
    }

    private static Argument<string[]> Optional(string name, string helpName, string description, Func<string, string?> validate)
    {
        var argument = new Argument<string[]>(name) { Description = description, HelpName = helpName, Arity = ArgumentArity.ZeroOrMore };
        argument.Validators.Add(result => Validate(result, validate));
        return argument;
    }

    private static Option<bool> FirstLevelOnly() => new(FirstLevelOnlyName) { Description = "Only the immediate children of each path" };

    private static void Validate(ArgumentResult result, Func<string, string?> validate)
    {
        foreach (Token token in result.Tokens)
        {
            if (validate(token.Value) is { } problem)
            {
                result.AddError($"'{token.Value}': {problem}");
            }
        }
    }

    private static string? ValidatePath(string path) =>
        path.StartsWith("Device.", StringComparison.Ordinal) ? null : "a data-model path starts with 'Device.'";

    private static string? ValidateObject(string path) =>
        ValidatePath(path) ?? (path.EndsWith('.') ? null : "an object path ends with '.'");

    private static string? ValidateCommand(string path) =>
        ValidatePath(path) ?? (path.EndsWith("()", StringComparison.Ordinal) ? null : "a command path ends with '()'");

    private static string? ValidateSetting(string setting)
    {
        int equals = setting.IndexOf('=');
        if (equals < 0)
        {
            return "expected PATH=VALUE";
        }

        string path = setting[..equals];
        return ValidatePath(path) ?? (path.EndsWith('.') ? "the path before '=' names a parameter, not an object" : null);
    }

    private static string? ValidateAssignment(string assignment) =>
        assignment.IndexOf('=') > 0 ? null : "expected NAME=VALUE";
}

using System.CommandLine;
using System.Globalization;

namespace Usp.Agent.Cli;

/// <summary>An option whose value is a UDP port, 0 to 65535, with one clear message for anything else.</summary>
internal static class PortOption
{
    public static Option<int> Create(string name, string description, string zeroMeans) => new(name)
    {
        Description = description,
        HelpName = "N",
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= 65535)
            {
                return port;
            }

            result.AddError($"{name} '{text}' is not a UDP port: use 0 to 65535 ({zeroMeans}).");
            return 0;
        },
    };
}

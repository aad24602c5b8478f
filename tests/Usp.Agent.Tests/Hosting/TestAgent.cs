using Usp.Agent.Hosting;

namespace Usp.Agent.Tests.Hosting;

/// <summary>Launch settings for an in-process agent host that touches nothing outside its temporary directory.</summary>
internal static class TestAgent
{
    public static AgentLaunch Launch(
        TempDirectory directory,
        TextWriter output,
        IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyDictionary<string, string?>? commandLine = null)
    {
        var keys = new Dictionary<string, string?>
        {
            ["Agent:DataDir"] = directory.File("var"),
            ["Agent:LogLevel"] = "Warning",

            // Never the real CoAP port: a test that wants the MTP names its own.
            ["Agent:CoapPort"] = "0",
            ["Agent:CoapsPort"] = "0",

            // Never mDNS on the host: UDP 5353 belongs to the host's responder; the discovery tests use namespaces.
            ["Agent:Mdns"] = "false",

            // The device identity is read from an empty stand-in for /, not from this machine.
            ["Agent:SystemRoot"] = directory.File("sysroot"),
        };
        foreach ((string key, string? value) in commandLine ?? new Dictionary<string, string?>())
        {
            keys[key] = value;
        }

        return new AgentLaunch
        {
            ReadDefaultConfigFile = false,
            Environment = environment ?? new Dictionary<string, string>(),
            CommandLine = keys,
            Output = TextWriter.Synchronized(output),
            CurrentDirectory = directory.Path,
            ExecutableDirectory = directory.Path,
        };
    }

    public static string[] Lines(StringWriter output) =>
        output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

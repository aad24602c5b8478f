using Usp.Agent.Hosting;

namespace Usp.Agent.Tests.Hosting;

public class SelfCommandTests
{
    [Fact]
    public void InstalledAgentOnPathIsNamedBare()
    {
        using var dir = new TempDirectory();
        string exe = Path.Combine(dir.Path, "usp-agent");
        File.WriteAllText(exe, "");

        Assert.Equal("usp-agent", SelfCommand.Describe(exe, "/x/usp-agent.dll", $"/usr/bin:{dir.Path}"));
    }

    [Fact]
    public void BuildOutputOffPathIsNamedByFullPath()
    {
        Assert.Equal("/repo/agent/bin/Debug/net10.0/usp-agent",
            SelfCommand.Describe("/repo/agent/bin/Debug/net10.0/usp-agent", "/x/usp-agent.dll", "/usr/bin:/bin"));
    }

    [Fact]
    public void AgentOnTheSharedHostIsRunThroughDotnet()
    {
        Assert.Equal("dotnet /out/usp-agent.dll", SelfCommand.Describe("/usr/share/dotnet/dotnet", "/out/usp-agent.dll", "/usr/bin"));
    }

    [Fact]
    public void PathWithSpacesIsQuoted()
    {
        Assert.Equal("'/my agent/usp-agent'", SelfCommand.Describe("/my agent/usp-agent", "/x/usp-agent.dll", "/usr/bin"));
    }
}

using Microsoft.Extensions.Hosting;
using Usp.Agent.Hosting;

namespace Usp.Agent.Tests.Hosting;

/// <summary>The exit status of a whole run, as the process returns it.</summary>
public sealed class RunAgentTests
{
    [Fact]
    public async Task A_run_that_is_asked_to_stop_exits_0()
    {
        using var directory = new TempDirectory();

        int status = await AgentComposition.RunAgentAsync(
            TestAgent.Launch(directory, new StringWriter()), TextWriter.Null, CancellationToken.None,
            new AgentAdditions { Services = (services, lifetime) => services.AddHostedService(new StopsOnceStarted(lifetime)) });

        Assert.Equal(ExitCodes.Success, status);
    }

    [Fact]
    public async Task A_crashed_background_service_makes_the_run_exit_1()
    {
        using var directory = new TempDirectory();

        int status = await AgentComposition.RunAgentAsync(
            TestAgent.Launch(directory, new StringWriter()), TextWriter.Null, CancellationToken.None,
            new AgentAdditions { Services = (services, _) => services.AddHostedService(new CrashesOnceStarted()) });

        Assert.Equal(ExitCodes.Failure, status);
    }

    [Fact]
    public async Task A_bad_configuration_exits_78_and_says_which_key()
    {
        using var directory = new TempDirectory();
        var error = new StringWriter();

        int status = await AgentComposition.RunAgentAsync(
            TestAgent.Launch(directory, new StringWriter(), commandLine: new Dictionary<string, string?> { ["Agent:CoapPort"] = "x" }),
            error, CancellationToken.None);

        Assert.Equal(ExitCodes.Configuration, status);
        Assert.Contains("Agent:CoapPort", error.ToString(), StringComparison.Ordinal);
    }

    private sealed class StopsOnceStarted(IHostApplicationLifetime lifetime) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Yield();
            lifetime.StopApplication();
        }
    }

    private sealed class CrashesOnceStarted : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Yield();
            throw new InvalidOperationException("a bug in a background service");
        }
    }
}

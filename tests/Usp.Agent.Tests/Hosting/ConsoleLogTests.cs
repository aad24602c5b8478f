using Microsoft.Extensions.Logging;
using Usp.Agent.Hosting;
using Usp.Agent.Hosting.Logging;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.Hosting;

public sealed class ConsoleLogTests
{
    [Fact]
    public void Under_systemd_each_entry_is_one_line_with_the_journald_priority()
    {
        var output = new StringWriter();
        var log = new ConsoleLog(output, ConsoleLogFormat.Systemd, LogLevel.Information, new ManualTimeProvider());
        ILogger<AgentHost> logger = log.For<AgentHost>();

        logger.Log(LogLevel.Information, new EventId(7), "ready", null, (state, _) => state);
        logger.Log(LogLevel.Warning, new EventId(8), "two\nlines", null, (state, _) => state);
        logger.Log(LogLevel.Error, new EventId(9), "failed", new InvalidOperationException("boom"), (state, _) => state);

        string[] lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal("<6>Usp.Agent.Hosting.AgentHost[7] ready", lines[0]);
        Assert.Equal("<4>Usp.Agent.Hosting.AgentHost[8] two lines", lines[1]);
        Assert.StartsWith("<3>Usp.Agent.Hosting.AgentHost[9] failed System.InvalidOperationException: boom", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Outside_systemd_each_entry_is_one_line_with_the_time_and_a_short_level()
    {
        var output = new StringWriter();
        var time = new ManualTimeProvider();
        var log = new ConsoleLog(output, ConsoleLogFormat.Simple, LogLevel.Trace, time);

        log.CreateLogger("Usp.DataModel").Log(LogLevel.Warning, default, "careful", null, (state, _) => state);

        string expectedTime = time.GetLocalNow().ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal($"{expectedTime} warn: Usp.DataModel[0] careful{Environment.NewLine}", output.ToString());
    }

    [Fact]
    public void Entries_below_the_minimum_level_are_dropped()
    {
        var output = new StringWriter();
        ILogger logger = new ConsoleLog(output, ConsoleLogFormat.Systemd, LogLevel.Warning, new ManualTimeProvider()).CreateLogger("c");

        logger.Log(LogLevel.Information, default, "quiet", null, (state, _) => state);

        Assert.False(logger.IsEnabled(LogLevel.Information));
        Assert.True(logger.IsEnabled(LogLevel.Warning));
        Assert.Equal("", output.ToString());
    }
}

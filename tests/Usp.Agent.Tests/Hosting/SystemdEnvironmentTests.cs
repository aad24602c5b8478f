using Usp.Agent.Hosting.Systemd;

namespace Usp.Agent.Tests.Hosting;

public sealed class SystemdEnvironmentTests
{
    private const int OurPid = 4242;

    private static SystemdEnvironment With(params (string Name, string Value)[] variables) =>
        new(variables.ToDictionary(v => v.Name, v => v.Value), OurPid);

    [Fact]
    public void Watchdog_pings_at_half_of_WATCHDOG_USEC()
    {
        Assert.Equal(TimeSpan.FromSeconds(15), With(("WATCHDOG_USEC", "30000000")).WatchdogPingInterval);
    }

    [Fact]
    public void Watchdog_is_ours_when_WATCHDOG_PID_names_this_process()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), With(("WATCHDOG_USEC", "2000000"), ("WATCHDOG_PID", "4242")).WatchdogPingInterval);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("not-a-pid")]
    public void Watchdog_is_off_when_WATCHDOG_PID_names_another_process(string pid)
    {
        Assert.Null(With(("WATCHDOG_USEC", "2000000"), ("WATCHDOG_PID", pid)).WatchdogPingInterval);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("soon")]
    public void Watchdog_is_off_without_a_positive_WATCHDOG_USEC(string usec)
    {
        Assert.Null(With(("WATCHDOG_USEC", usec)).WatchdogPingInterval);
    }
}

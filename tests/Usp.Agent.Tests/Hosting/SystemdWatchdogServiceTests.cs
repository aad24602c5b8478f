using Usp.Agent.Hosting.Systemd;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.Hosting;

public sealed class SystemdWatchdogServiceTests
{
    [Fact]
    public async Task Sends_one_WATCHDOG_per_interval_and_none_after_stopping()
    {
        var systemd = new RecordingSystemdNotifier();
        var time = new ManualTimeProvider();
        var interval = TimeSpan.FromSeconds(10);
        using var service = new SystemdWatchdogService(systemd, interval, time);

        await service.StartAsync(CancellationToken.None);
        await time.FirstTimerCreated;
        for (int i = 0; i < 3; i++)
        {
            time.Advance(interval);
            Assert.Equal("WATCHDOG=1", await systemd.ReceiveAsync());
        }

        // Just short of the next ping, then stop: the next state must be the marker, not a ping.
        time.Advance(interval - TimeSpan.FromMilliseconds(1));
        await service.StopAsync(CancellationToken.None);
        time.Advance(interval);
        systemd.Notify(new Microsoft.Extensions.Hosting.Systemd.ServiceState("MARK"));

        Assert.Equal("MARK", await systemd.ReceiveAsync());
    }
}

using System.Net.Sockets;
using Microsoft.Extensions.Hosting.Systemd;
using Usp.Agent.Hosting.Systemd;

namespace Usp.Agent.Tests.Hosting;

public sealed class SystemdNotifierTests
{
    [Fact]
    public void States_are_the_sd_notify_lines()
    {
        Assert.Equal("WATCHDOG=1", SystemdNotifications.Watchdog.ToString());
        Assert.Equal("STATUS=Ready: listening", SystemdNotifications.Status("Ready: listening").ToString());
    }

    [Fact]
    public void A_service_manager_that_cannot_be_reached_does_not_stop_the_agent()
    {
        var notifier = new RecordingSystemdNotifier { Failure = new SocketException((int)SocketError.ConnectionRefused) };

        Assert.False(notifier.TryNotify(ServiceState.Ready));
    }

    [Fact]
    public void Nothing_is_sent_without_a_notification_socket()
    {
        var notifier = new RecordingSystemdNotifier(isEnabled: false);

        Assert.False(notifier.TryNotify(ServiceState.Ready));
        Assert.False(notifier.TryReceive(out _));
    }

    [Fact]
    public void Without_NOTIFY_SOCKET_the_package_notifier_is_disabled()
    {
        // The test host is not a systemd service; AgentProcess strips NOTIFY_SOCKET from the agents it starts.
        Assert.Null(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));
        Assert.False(new SystemdNotifier().IsEnabled);
        Assert.False(SystemdHelpers.IsSystemdService());
    }
}

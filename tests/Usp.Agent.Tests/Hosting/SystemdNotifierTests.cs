using Usp.Agent.Hosting.Systemd;

namespace Usp.Agent.Tests.Hosting;

public sealed class SystemdNotifierTests
{
    [Fact]
    public async Task Notify_sends_the_state_as_one_datagram_to_a_path_socket()
    {
        using var systemd = new FakeNotifySocket();
        using var notifier = new UnixDatagramNotifier(systemd.Address);

        Assert.True(notifier.Notify("READY=1"));
        Assert.True(notifier.Notify("STATUS=Ready: listening"));

        Assert.Equal(["READY=1", "STATUS=Ready: listening"], await systemd.ReceiveAsync(2));
    }

    [Fact]
    public async Task Notify_reaches_an_abstract_socket_named_with_an_at_sign()
    {
        using var systemd = new FakeNotifySocket(isAbstract: true);
        using var notifier = new UnixDatagramNotifier(systemd.Address);

        Assert.True(notifier.Notify("WATCHDOG=1"));

        Assert.Equal("WATCHDOG=1", await systemd.ReceiveAsync());
    }

    [Fact]
    public void Notify_reports_false_when_nobody_listens()
    {
        using var directory = new TempDirectory();
        using var notifier = new UnixDatagramNotifier(directory.File("gone"));

        Assert.False(notifier.Notify("READY=1"));
    }
}

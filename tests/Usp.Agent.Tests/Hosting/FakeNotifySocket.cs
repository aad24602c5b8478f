using System.Net.Sockets;
using System.Text;

namespace Usp.Agent.Tests.Hosting;

/// <summary>Plays systemd's side of sd_notify: a Unix datagram socket in a temporary directory (or an abstract one).</summary>
internal sealed class FakeNotifySocket : IDisposable
{
    /// <summary>Guards against a hang when an expected datagram never comes; not a timing assertion.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly TempDirectory? _directory;

    public FakeNotifySocket(bool isAbstract = false)
    {
        if (isAbstract)
        {
            Address = "@usp-agent-test-" + Guid.NewGuid().ToString("N");
        }
        else
        {
            _directory = new TempDirectory();
            Address = Path.Combine(_directory.Path, "notify");
        }

        // systemd writes an abstract socket name with a leading '@'; the kernel wants a leading NUL.
        _socket.Bind(new UnixDomainSocketEndPoint(Address.StartsWith('@') ? "\0" + Address[1..] : Address));
    }

    /// <summary>The value systemd would put in NOTIFY_SOCKET.</summary>
    public string Address { get; }

    public async Task<string> ReceiveAsync()
    {
        byte[] buffer = new byte[4096];
        using var patience = new CancellationTokenSource(Patience);
        int length = await _socket.ReceiveAsync(buffer, SocketFlags.None, patience.Token);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    public async Task<List<string>> ReceiveAsync(int count)
    {
        var datagrams = new List<string>();
        for (int i = 0; i < count; i++)
        {
            datagrams.Add(await ReceiveAsync());
        }

        return datagrams;
    }

    public void Dispose()
    {
        _socket.Dispose();
        _directory?.Dispose();
    }
}

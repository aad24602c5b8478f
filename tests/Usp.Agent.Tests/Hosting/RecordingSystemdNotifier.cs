using System.Threading.Channels;
using Microsoft.Extensions.Hosting.Systemd;

namespace Usp.Agent.Tests.Hosting;

/// <summary>
/// Stands in for the package's SystemdNotifier in-process (which reads NOTIFY_SOCKET from the process environment,
/// shared by every test): records each state in order. The real sender is exercised by AgentProcessTests.
/// </summary>
internal sealed class RecordingSystemdNotifier(bool isEnabled = true) : ISystemdNotifier
{
    /// <summary>Guards against a hang when an expected state never comes; not a timing assertion.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly Channel<string> _states = Channel.CreateUnbounded<string>();

    public bool IsEnabled => isEnabled;

    public Exception? Failure { get; set; }

    public void Notify(ServiceState state)
    {
        if (Failure is not null)
        {
            throw Failure;
        }

        _states.Writer.TryWrite(state.ToString());
    }

    public async Task<string> ReceiveAsync()
    {
        using var patience = new CancellationTokenSource(Patience);
        return await _states.Reader.ReadAsync(patience.Token);
    }

    public async Task<List<string>> ReceiveAsync(int count)
    {
        var states = new List<string>();
        for (int i = 0; i < count; i++)
        {
            states.Add(await ReceiveAsync());
        }

        return states;
    }

    public bool TryReceive(out string? state) => _states.Reader.TryRead(out state);
}

using Microsoft.Extensions.Hosting;
using Usp.Agent.Hosting;
using Usp.Agent.Mtp;

namespace Usp.Agent.Tests.Hosting;

/// <summary>An MTP whose listening the test completes or fails by hand.</summary>
internal sealed class FakeMtpListener(EventLog log) : IMtpListener, IHostedService
{
    private readonly TaskCompletionSource<IReadOnlyList<string>> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name => "Fake";

    public Task<IReadOnlyList<string>> WhenListening => _listening.Task;

    public void Listen(params string[] uris) => _listening.SetResult(uris);

    public void Fail(string reason) => _listening.SetException(new IOException(reason));

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        log.Add("listener stopped");
        return Task.CompletedTask;
    }
}

/// <summary>What happened, in order, across services.</summary>
internal sealed class EventLog
{
    private readonly Lock _gate = new();
    private readonly List<string> _events = [];

    public void Add(string name)
    {
        lock (_gate)
        {
            _events.Add(name);
        }
    }

    public string[] Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }
}

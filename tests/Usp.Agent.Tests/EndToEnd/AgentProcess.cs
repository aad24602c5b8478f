using System.Diagnostics;
using System.Text;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>
/// The real usp-agent process (the build output beside the tests, or the published executable named by
/// USP_AGENT_UNDER_TEST: see <see cref="AgentUnderTest"/>), started on random loopback ports with
/// its own data directory, and stopped with SIGTERM (or killed) when the test ends.
/// </summary>
internal sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AgentProcess(Process process, string dataDir, int coapPort, int coapsPort)
    {
        _process = process;
        DataDir = dataDir;
        CoapPort = coapPort;
        CoapsPort = coapsPort;
    }

    public string DataDir { get; }

    public int CoapPort { get; }

    /// <summary>The coaps port it was started with (0: none).</summary>
    public int CoapsPort { get; }

    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>usp-agent under test (<see cref="AgentUnderTest"/>: the build output under dotnet, or a published executable) with <paramref name="arguments"/>.</summary>
    public static Task<(int ExitCode, string Output, string Error)> CliAsync(params string[] arguments)
    {
        var info = AgentUnderTest.StartInfo(arguments);
        info.WorkingDirectory = Environment.CurrentDirectory;
        return Tool.RunAsync(info);
    }

    /// <summary>Starts the agent and waits for its "usp-agent ready" line.</summary>
    public static Task<AgentProcess> StartAsync(string dataDir, string factoryDefaults, int coapPort, params string[] extraArgs) =>
        StartAsync(dataDir, factoryDefaults, coapPort, 0, extraArgs);

    /// <summary>Starts the agent with coaps on <paramref name="coapsPort"/> too (0: none) and waits for its "usp-agent ready" line.</summary>
    public static async Task<AgentProcess> StartAsync(string dataDir, string factoryDefaults, int coapPort, int coapsPort, string[] extraArgs)
    {
        Directory.CreateDirectory(dataDir);
        var info = AgentUnderTest.StartInfo(new[]
            {
                "run", "--data-dir", dataDir, "--factory-defaults", factoryDefaults,
                "--coap-port", coapPort.ToString(), "--coaps-port", coapsPort.ToString(), "--bind", "127.0.0.1", "--no-mdns",
            }.Concat(extraArgs));

        var agent = new AgentProcess(Process.Start(info) ?? throw new InvalidOperationException("cannot start usp-agent"), dataDir, coapPort, coapsPort);
        agent.StartReading();
        var ready = agent._ready.Task;
        if (await Task.WhenAny(ready, Task.Delay(TimeSpan.FromSeconds(60))) != ready)
        {
            await agent.DisposeAsync();
            throw new TimeoutException($"usp-agent did not print 'usp-agent ready' within 60 s:{Environment.NewLine}{agent.Output}");
        }

        await ready;
        return agent;
    }

    public string UriFor(string path) => $"coap://127.0.0.1:{CoapPort}/{path.TrimStart('/')}";

    /// <summary>Sends SIGTERM and waits for a clean exit; returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return _process.ExitCode;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
        {
            await kill!.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown code runs, nothing is flushed or checkpointed.</summary>
    /// <param name="afterSignal">Runs right after the signal is sent, before the wait for the exit.</param>
    public async Task KillAsync(Action? afterSignal = null)
    {
        if (!_process.HasExited)
        {
            // The agent runs no children: a plain kill(2), without walking /proc for a process tree first.
            _process.Kill();
        }

        afterSignal?.Invoke();

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await StopAsync(TimeSpan.FromSeconds(10));
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }

    private void StartReading()
    {
        _process.OutputDataReceived += (_, e) => Record(e.Data, stdout: true);
        _process.ErrorDataReceived += (_, e) => Record(e.Data, stdout: false);
        _process.Exited += (_, _) => _ready.TrySetException(new InvalidOperationException($"usp-agent exited ({_process.ExitCode}) before it was ready:{Environment.NewLine}{Output}"));
        _process.EnableRaisingEvents = true;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private void Record(string? line, bool stdout)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (stdout && line.StartsWith("usp-agent ready", StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }
}

using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Usp.Tests.Support;

/// <summary>A long-running peer (a browser, a daemon, the agent) whose output lines the test waits on; stopped by PID.</summary>
internal sealed class PeerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly SemaphoreSlim _newLine = new(0);
    private readonly string _name;

    private PeerProcess(Process process, string name)
    {
        _process = process;
        _name = name;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public string Output => string.Join(Environment.NewLine, Lines);

    public static PeerProcess Start(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.Environment.Remove("NOTIFY_SOCKET");
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        var peer = new PeerProcess(process, $"{program} {string.Join(' ', info.ArgumentList)}");
        process.OutputDataReceived += (_, e) => peer.Add(e.Data);
        process.ErrorDataReceived += (_, e) => peer.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return peer;
    }

    /// <summary>Waits for a line that satisfies <paramref name="match"/>; throws with the output so far on timeout.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, int skip = 0)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            string? found = Lines.Skip(skip).FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }

            try
            {
                await _newLine.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no matching line from {_name} within {timeout.TotalSeconds} s; its output:{Environment.NewLine}{Output}");
            }
        }
    }

    /// <summary>The JSON lines printed so far.</summary>
    public List<JsonObject> JsonLines() =>
        [.. Lines.Where(l => l.StartsWith('{')).Select(l => JsonNode.Parse(l)!.AsObject())];

    public Task<JsonObject> WaitForJsonAsync(Func<JsonObject, bool> match, TimeSpan timeout) =>
        WaitForLineAsync(l => l.StartsWith('{') && match(JsonNode.Parse(l)!.AsObject()), timeout).ContinueWith(t => JsonNode.Parse(t.Result)!.AsObject(), TaskScheduler.Default);

    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>; returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan? grace = null)
    {
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
            {
                await kill!.WaitForExitAsync();
            }

            using var cts = new CancellationTokenSource(grace ?? TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
        }

        _newLine.Release();
    }
}

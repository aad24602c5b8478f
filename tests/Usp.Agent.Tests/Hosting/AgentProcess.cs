using System.Diagnostics;
using System.Threading.Channels;

namespace Usp.Agent.Tests.Hosting;

/// <summary>The built usp-agent running as a real child process, with its stdout read line by line.</summary>
internal sealed class AgentProcess : IDisposable
{
    /// <summary>Guards against a hang when an expected line never comes; not a timing assertion.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();

    /// <param name="underSystemd">
    /// Starts the agent as a child of a process named systemd (a copy of bash that waits for it), which is how
    /// SystemdHelpers.IsSystemdService() recognises a service; <see cref="Id"/> is then the agent's own id.
    /// </param>
    public AgentProcess(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, bool underSystemd = false)
    {
        string agent = Path.Combine(AppContext.BaseDirectory, "usp-agent");
        var start = new ProcessStartInfo(underSystemd ? FakeSystemdParent.Value : agent)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (underSystemd)
        {
            // Not the last command of the script, so bash forks for it instead of exec'ing it.
            foreach (string argument in new[] { "-c", "\"$@\"; exit $?", "systemd", agent })
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Whatever started the tests must not make the child think systemd supervises it.
        foreach (string variable in new[] { "NOTIFY_SOCKET", "INVOCATION_ID", "JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID" })
        {
            start.Environment.Remove(variable);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.Writer.TryComplete();
            }
            else
            {
                _lines.Writer.TryWrite(e.Data);
            }
        };
        _process.ErrorDataReceived += (_, _) => { };
        _process.Start();
        Id = underSystemd ? ChildOf(_process.Id) : _process.Id;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id { get; }

    /// <summary>A copy of bash named systemd, once per test run: /proc/PID/comm of its processes reads "systemd".</summary>
    private static readonly Lazy<string> FakeSystemdParent = new(() =>
    {
        string directory = Path.Combine(Path.GetTempPath(), $"usp-agent-tests-{Environment.ProcessId}");
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, "systemd");
        File.Copy("/bin/bash", path, overwrite: true);
        return path;
    });

    private static int ChildOf(int parent)
    {
        string children = $"/proc/{parent}/task/{parent}/children";
        for (var waited = TimeSpan.Zero; waited < Patience; waited += TimeSpan.FromMilliseconds(20))
        {
            string text = File.Exists(children) ? File.ReadAllText(children).Trim() : "";
            if (text.Length > 0)
            {
                return int.Parse(text.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }

            Thread.Sleep(20);
        }

        throw new TimeoutException($"the fake systemd (pid {parent}) started no agent");
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Reads stdout up to and including the next line that starts with <paramref name="prefix"/>.</summary>
    public async Task<List<string>> ReadUntilAsync(string prefix)
    {
        using var patience = new CancellationTokenSource(Patience);
        var lines = new List<string>();
        while (true)
        {
            string line = await _lines.Reader.ReadAsync(patience.Token);
            lines.Add(line);
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return lines;
            }
        }
    }

    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async Task<int> ExitCodeAsync()
    {
        using var patience = new CancellationTokenSource(Patience);
        await _process.WaitForExitAsync(patience.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}

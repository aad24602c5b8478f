using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Google.Protobuf;
using Usp.Proto;
using Usp.Tests.Support;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>
/// Drives tests/interop/usp-controller.js: a USP Controller built on the npm coap and protobufjs
/// packages with the reference schemas, so every byte the agent receives is encoded by a third party.
/// Messages are built here with our types, handed over as protobuf JSON and re-encoded by protobufjs.
/// </summary>
internal sealed class NodeUspController : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<JsonObject> _events = Channel.CreateUnbounded<JsonObject>();
    private readonly List<JsonObject> _seen = [];
    private readonly StringBuilder _stderr = new();
    private int _nextId;

    private NodeUspController(Process process)
    {
        _process = process;
    }

    /// <summary>Our reply-to URI as the controller listens for Records.</summary>
    public string ReplyTo { get; private set; } = string.Empty;

    public int Port { get; private set; }

    /// <param name="replyTo">The reply-to URI to give instead of the controller's own (a relay in front of it).</param>
    /// <param name="timing">node-coap's transmission parameters as JSON (e.g. <c>{"ackTimeout":1}</c>); null: RFC 7252's defaults.</param>
    public static async Task<NodeUspController> StartAsync(string fromId, string replyForm = "uri", int listenPort = 0, bool autoNotifyResp = false, string? replyTo = null, string? timing = null)
    {
        RepoPaths.RequireInteropPackages();
        var info = new ProcessStartInfo(RepoPaths.Node)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.InteropDir,
        };
        foreach (string arg in new[] { Path.Combine(RepoPaths.InteropDir, "usp-controller.js"), "--from", fromId, "--reply-form", replyForm, "--listen-port", listenPort.ToString() })
        {
            info.ArgumentList.Add(arg);
        }

        if (autoNotifyResp)
        {
            info.ArgumentList.Add("--auto-notify-resp");
        }

        if (replyTo is not null)
        {
            info.ArgumentList.Add("--reply-to");
            info.ArgumentList.Add(replyTo);
        }

        if (timing is not null)
        {
            info.ArgumentList.Add("--timing");
            info.ArgumentList.Add(timing);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start node");
        var controller = new NodeUspController(process);
        controller.StartReading();
        var listening = await controller.WaitForAsync(e => (string?)e["event"] == "listening", TimeSpan.FromSeconds(30));
        controller.Port = (int)listening["port"]!;
        controller.ReplyTo = (string)listening["replyTo"]!;
        return controller;
    }

    /// <summary>POSTs a Record carrying <paramref name="msg"/> to the agent; returns the command id.</summary>
    public string SendUsp(string agentUri, string toId, Msg msg)
    {
        string id = NextId();
        var command = new JsonObject
        {
            ["id"] = id,
            ["agent"] = agentUri,
            ["to"] = toId,
            ["usp"] = JsonNode.Parse(JsonFormatter.Default.Format(msg)),
        };
        Write(command);
        return id;
    }

    /// <summary>Sends a raw CoAP request (for negative tests); returns the command id.</summary>
    public string SendCoap(string agentUri, string method, IEnumerable<string> query, int? contentFormat, byte[]? payload)
    {
        string id = NextId();
        var coap = new JsonObject
        {
            ["agent"] = agentUri,
            ["method"] = method,
            ["query"] = new JsonArray(query.Select(q => (JsonNode)q).ToArray()),
            ["contentFormat"] = contentFormat,
            ["payloadHex"] = payload is null ? null : Convert.ToHexString(payload),
        };
        Write(new JsonObject { ["id"] = id, ["coap"] = coap });
        return id;
    }

    /// <summary>The CoAP response the agent gave to our POST with this id.</summary>
    public Task<JsonObject> WaitForCoapResultAsync(string id, TimeSpan timeout, CancellationToken cancel = default) =>
        WaitForAsync(e => (string?)e["id"] == id && (string?)e["event"] is "sent" or "send-failed", timeout, cancel);

    /// <summary>The next USP Msg the agent POSTed to us that matches.</summary>
    public async Task<(Msg Msg, JsonObject Event)> WaitForMsgAsync(Func<Msg, bool> match, TimeSpan timeout, CancellationToken cancel = default)
    {
        Msg? found = null;
        var e = await WaitForAsync(ev =>
        {
            if ((string?)ev["event"] != "record" || ev["msg"] is not JsonObject msgJson)
            {
                return false;
            }

            var msg = JsonParser.Default.Parse<Msg>(msgJson.ToJsonString());
            if (!match(msg))
            {
                return false;
            }

            found = msg;
            return true;
        }, timeout, cancel);
        return (found!, e);
    }

    /// <param name="cancel">Gives up early (an <see cref="OperationCanceledException"/>, not a timeout).</param>
    public async Task<JsonObject> WaitForAsync(Func<JsonObject, bool> match, TimeSpan timeout, CancellationToken cancel = default)
    {
        lock (_seen)
        {
            foreach (var earlier in _seen)
            {
                if (match(earlier))
                {
                    _seen.Remove(earlier);
                    return earlier;
                }
            }
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        cts.CancelAfter(timeout);
        try
        {
            while (true)
            {
                var e = await _events.Reader.ReadAsync(cts.Token);
                if (match(e))
                {
                    return e;
                }

                lock (_seen)
                {
                    _seen.Add(e);
                }
            }
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            string seen;
            lock (_seen)
            {
                seen = string.Join(Environment.NewLine, _seen.Select(s => s.ToJsonString()));
            }

            throw new TimeoutException($"the node controller saw nothing matching within {timeout.TotalSeconds} s; it saw:{Environment.NewLine}{seen}{Environment.NewLine}stderr: {_stderr}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"the node controller exited ({_process.ExitCode}): {_stderr}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private void StartReading()
    {
        _ = Task.Run(async () =>
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (JsonNode.Parse(line) is JsonObject e)
                {
                    await _events.Writer.WriteAsync(e);
                }
            }

            _events.Writer.TryComplete();
        });
        _ = Task.Run(async () =>
        {
            while (await _process.StandardError.ReadLineAsync() is { } line)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(line);
                }
            }
        });
    }

    private string NextId() => $"c{Interlocked.Increment(ref _nextId)}";

    private void Write(JsonObject command)
    {
        lock (_process)
        {
            _process.StandardInput.WriteLine(command.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
            _process.StandardInput.Flush();
        }
    }
}

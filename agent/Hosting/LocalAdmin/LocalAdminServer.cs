using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Usp.Agent.Hosting.LocalAdmin;

/// <summary>
/// Serves the local administration channel on the Unix stream socket <c>&lt;data-dir&gt;/usp-agent.sock</c>
/// (mode 0600: the agent's user only). One request and one response per connection.
/// </summary>
internal sealed partial class LocalAdminServer(
    string socketPath,
    LocalAdminDispatcher dispatcher,
    ILogger<LocalAdminServer> logger) : IHostedService, IDisposable
{
    /// <summary>A client that connects and then does not send its request (or read the answer) is dropped after this long.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _stopping = new();
    private readonly HashSet<Task> _connections = [];
    private readonly Lock _connectionsGate = new();
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        UnixDomainSocketEndPoint endPoint = LocalAdminProtocol.EndPoint(socketPath);
        RemoveStaleSocket(endPoint);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(endPoint);
            File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(8);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        _acceptLoop = AcceptLoopAsync(listener, _stopping.Token);
        LogListening(socketPath);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_listener is null)
        {
            // Never bound (another agent owns the socket, say): the file is not ours to remove.
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        Task[] pending;
        lock (_connectionsGate)
        {
            pending = [_acceptLoop, .. _connections];
        }

        try
        {
            await Task.WhenAll(pending).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            RemoveSocketFile();
        }
    }

    /// <summary>Removes our socket file; gone already (the data directory removed under us, say) is fine.</summary>
    private void RemoveSocketFile()
    {
        try
        {
            File.Delete(socketPath);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    public void Dispose()
    {
        _listener?.Dispose();
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || stoppingToken.IsCancellationRequested)
            {
                return;
            }

            Task handling = ServeAsync(connection, stoppingToken);
            lock (_connectionsGate)
            {
                _connections.Add(handling);
            }

            _ = handling.ContinueWith(
                done =>
                {
                    lock (_connectionsGate)
                    {
                        _connections.Remove(done);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket connection, CancellationToken stoppingToken)
    {
        Action? afterReply = null;
        await using (var stream = new NetworkStream(connection, ownsSocket: true))
        {
            try
            {
                byte[]? body;
                using (var reading = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
                {
                    reading.CancelAfter(RequestTimeout);
                    body = await LocalAdminProtocol.ReadFrameAsync(stream, reading.Token).ConfigureAwait(false);
                }

                if (body is null)
                {
                    return;
                }

                LocalAdminResponse response;
                try
                {
                    LocalAdminRequest request = LocalAdminProtocol.DecodeRequest(body);
                    LogRequest(request.Verb);

                    // Handling is not timed: an operate may legitimately take long; stopping the agent cancels it.
                    (response, afterReply) = await dispatcher.DispatchAsync(request, stoppingToken).ConfigureAwait(false);
                }
                catch (InvalidDataException e)
                {
                    response = LocalAdminResponse.Text(ExitCodes.Usage, $"malformed local administration request: {e.Message}");
                }

                using var writing = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                writing.CancelAfter(RequestTimeout);
                await stream.WriteAsync(LocalAdminProtocol.EncodeResponse(response), writing.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidDataException)
            {
                LogConnectionDropped(e.Message);
                afterReply = null;
            }
        }

        afterReply?.Invoke();
    }

    /// <summary>A socket file left by an agent that died is removed; one a live agent answers on is not.</summary>
    private void RemoveStaleSocket(UnixDomainSocketEndPoint endPoint)
    {
        if (!File.Exists(socketPath))
        {
            return;
        }

        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(endPoint);
                throw new AgentConfigurationException(
                    $"another usp-agent is already running with this data directory (it answers on {socketPath}); stop it or use another --data-dir.");
            }
            catch (SocketException)
            {
                // Nobody listens: the file is stale.
            }
        }

        File.Delete(socketPath);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Local administration listens on {Path}.")]
    private partial void LogListening(string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Local administration request: {Verb}.")]
    private partial void LogRequest(string verb);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A local administration connection was dropped: {Reason}.")]
    private partial void LogConnectionDropped(string reason);
}

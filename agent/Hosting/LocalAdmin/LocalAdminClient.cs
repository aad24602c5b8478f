using System.Net.Sockets;

namespace Usp.Agent.Hosting.LocalAdmin;

/// <summary>The CLI side of the local administration channel: sends one request, returns the agent's response.</summary>
internal static class LocalAdminClient
{
    public static async Task<LocalAdminResponse> SendAsync(string socketPath, LocalAdminRequest request, CancellationToken cancellationToken)
    {
        UnixDomainSocketEndPoint endPoint;
        try
        {
            endPoint = LocalAdminProtocol.EndPoint(socketPath);
        }
        catch (AgentConfigurationException e)
        {
            return LocalAdminResponse.Text(ExitCodes.Configuration, e.Message);
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            return LocalAdminResponse.Text(ExitCodes.Unavailable,
                $"no usp-agent answers on {socketPath} ({e.Message}): is the agent running with this --data-dir?");
        }

        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(LocalAdminProtocol.EncodeRequest(request), cancellationToken).ConfigureAwait(false);
        byte[]? body = await LocalAdminProtocol.ReadFrameAsync(stream, cancellationToken).ConfigureAwait(false);
        return body is null
            ? LocalAdminResponse.Text(ExitCodes.Failure, $"the agent on {socketPath} closed the connection without answering")
            : LocalAdminProtocol.DecodeResponse(body);
    }
}

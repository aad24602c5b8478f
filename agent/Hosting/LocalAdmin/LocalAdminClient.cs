using System.Net.Sockets;

namespace Usp.Agent.Hosting.LocalAdmin;

/// <summary>The CLI side of the local administration channel: sends one request, returns the agent's response.</summary>
internal static class LocalAdminClient
{
    private const string NobodyAnswers = "no usp-agent answers on ";

    /// <summary>True when the response says no agent listens on the socket (as opposed to an agent's own answer).</summary>
    public static bool NobodyAnswered(LocalAdminResponse response) => response.Body.StartsWith(NobodyAnswers, StringComparison.Ordinal);

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
                $"{NobodyAnswers}{socketPath} ({e.Message}): is the agent running with this --data-dir?");
        }

        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(LocalAdminProtocol.EncodeRequest(request), cancellationToken).ConfigureAwait(false);
        byte[]? body = await LocalAdminProtocol.ReadFrameAsync(stream, cancellationToken).ConfigureAwait(false);
        return body is null
            ? LocalAdminResponse.Text(ExitCodes.Failure, $"the agent on {socketPath} closed the connection without answering")
            : LocalAdminProtocol.DecodeResponse(body);
    }
}

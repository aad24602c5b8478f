using System.Net.Sockets;
using Usp.Agent.Hosting;
using Usp.Agent.Hosting.LocalAdmin;
using Usp.DataModel;
using Usp.DataModel.Store;

namespace Usp.Agent.EngineHost;

/// <summary>
/// The data-model verbs and factory-reset when no agent runs on the data directory: the engine is opened on the
/// database directly. The admin socket is held meanwhile, so an agent started in the same moment refuses to
/// run beside us (it sees a live socket) instead of reading a database we are changing.
/// </summary>
internal static class OfflineDataModel
{
    private const string LocalEndpointId = "self::usp-agent-cli";

    public static Task<LocalAdminResponse> ExecuteAsync(AgentOptions options, LocalAdminRequest request, TextWriter error, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using Socket? claim = TryClaim(options.AdminSocketPath);
        if (claim is null)
        {
            return Task.FromResult(LocalAdminResponse.Text(ExitCodes.Unavailable,
                $"usp-agent {request.Verb}: an agent is starting or another command is working on {options.DataDir}; try again."));
        }

        try
        {
            // The HAL's schema and rows, without its devices running: live values read as not yet measured.
            using var hal = AgentHal.Create(options, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
            using UspEngine engine = UspEngine.Open(new UspEngineOptions
            {
                Areas = [hal.Area],
                DataDirectory = options.DataDir,
                FactoryDefaultsPath = options.FactoryDefaults,
                EndpointId = options.EndpointId,
                Identity = options.IdentitySettings(),
                SoftwareVersion = AgentVersion.Product,
                Log = new WarningsTo(error),
                FullAccessEndpointId = LocalEndpointId,
            });
            if (request.Verb == LocalAdminVerbs.FactoryReset)
            {
                engine.FactoryReset();
                return Task.FromResult(LocalAdminResponse.Text(ExitCodes.Success,
                    $"factory reset done in {options.DataDir}: the agent starts from its factory defaults (boot cause LocalFactoryReset)."));
            }

            return Task.FromResult(LocalDataModelRequests.Execute(engine, LocalEndpointId, request));
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException or DataStoreException)
        {
            return Task.FromResult(LocalAdminResponse.Text(ExitCodes.Failure, $"usp-agent {request.Verb}: cannot open the data model in {options.DataDir}: {e.Message}"));
        }
        finally
        {
            File.Delete(options.AdminSocketPath);
        }
    }

    private static Socket? TryClaim(string socketPath)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(socketPath)!);
            if (File.Exists(socketPath))
            {
                // The caller found nobody answering: the file is stale.
                File.Delete(socketPath);
            }

            socket.Bind(new UnixDomainSocketEndPoint(socketPath));
            socket.Listen(1);
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    private sealed class WarningsTo(TextWriter error) : IEngineLog
    {
        public void Info(string message)
        {
        }

        public void Warning(string message) => error.WriteLine($"usp-agent: {message}");

        public void Error(string message) => error.WriteLine($"usp-agent: {message}");
    }
}

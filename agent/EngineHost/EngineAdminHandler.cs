using Usp.Agent.Hosting.LocalAdmin;

namespace Usp.Agent.EngineHost;

/// <summary>The running agent's answer to the data-model verbs of the admin socket: the engine, with full access.</summary>
internal sealed class EngineAdminHandler(AgentEngine engine) : ILocalAdminHandler
{
    public async Task<LocalAdminResponse> HandleAsync(LocalAdminRequest request, CancellationToken cancellationToken)
    {
        var opened = await engine.WhenOpen.WaitAsync(cancellationToken).ConfigureAwait(false);

        // The engine serializes messages behind its lock: keep the admin socket's accept loop free meanwhile.
        return await Task.Run(() => LocalDataModelRequests.Execute(opened, engine.LocalAdminEndpointId, request), cancellationToken).ConfigureAwait(false);
    }
}

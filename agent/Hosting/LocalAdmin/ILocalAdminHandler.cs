namespace Usp.Agent.Hosting.LocalAdmin;

/// <summary>
/// Answers the data-model verbs of the local administration channel (get, set, add, delete, operate,
/// instances, supported-dm). The USP engine integration implements it and replaces
/// <see cref="EngineUnavailableAdminHandler"/> in Program.cs. The CLI has validated the arguments: the
/// positional values in command-line order (get: paths; set: PATH=VALUE; add: OBJECT. then NAME=VALUE;
/// delete: OBJECT.; operate: COMMAND() then NAME=VALUE; instances, supported-dm: paths), then
/// <c>--first-level-only</c> when given. <see cref="LocalAdminRequest.Json"/> asks for a JSON body.
/// </summary>
internal interface ILocalAdminHandler
{
    Task<LocalAdminResponse> HandleAsync(LocalAdminRequest request, CancellationToken cancellationToken);
}

/// <summary>The handler of a build without the USP engine: it says so instead of inventing answers.</summary>
internal sealed class EngineUnavailableAdminHandler : ILocalAdminHandler
{
    public Task<LocalAdminResponse> HandleAsync(LocalAdminRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(LocalAdminResponse.Text(
            ExitCodes.Unavailable,
            $"usp-agent {request.Verb}: the USP engine is not available in this build; the agent cannot answer data-model requests yet."));
}

namespace Usp.Agent.Hosting.LocalAdmin;

/// <summary>
/// Answers the data-model verbs of the local administration channel (get, set, add, delete, operate,
/// instances, supported-dm); the agent answers them from the USP engine (Engine/EngineAdminHandler). The CLI has validated the arguments: the
/// positional values in command-line order (get: paths; set: PATH=VALUE; add: OBJECT. then NAME=VALUE;
/// delete: OBJECT.; operate: COMMAND() then NAME=VALUE; instances, supported-dm: paths), then
/// <c>--first-level-only</c> when given. <see cref="LocalAdminRequest.Json"/> asks for a JSON body.
/// </summary>
internal interface ILocalAdminHandler
{
    Task<LocalAdminResponse> HandleAsync(LocalAdminRequest request, CancellationToken cancellationToken);
}

using Usp.Agent.Hosting;
using Usp.Agent.Hosting.LocalAdmin;

namespace Usp.Agent.Tests.Hosting;

/// <summary>A data-model handler that refuses every request, as an agent that cannot answer would.</summary>
internal sealed class UnavailableAdminHandler : ILocalAdminHandler
{
    public const string Message = "the data model is unavailable";

    public Task<LocalAdminResponse> HandleAsync(LocalAdminRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(LocalAdminResponse.Text(ExitCodes.Unavailable, $"usp-agent {request.Verb}: {Message}"));
}

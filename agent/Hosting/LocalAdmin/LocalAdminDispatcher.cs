using Usp.Agent.Hosting.Reboot;

namespace Usp.Agent.Hosting.LocalAdmin;

/// <summary>Routes a request: the data-model verbs to <see cref="ILocalAdminHandler"/>, factory-reset to the reboot handler.</summary>
internal sealed class LocalAdminDispatcher(ILocalAdminHandler dataModel, IRebootHandler reboot)
{
    public async Task<(LocalAdminResponse Response, Action? AfterReply)> DispatchAsync(LocalAdminRequest request, CancellationToken cancellationToken)
    {
        if (request.Verb == LocalAdminVerbs.FactoryReset)
        {
            // The restart starts only once the reply is on its way, so the CLI hears the outcome.
            return (LocalAdminResponse.Text(ExitCodes.Success,
                    "factory reset requested: the agent restarts now with boot cause LocalFactoryReset."),
                () => reboot.RequestRestart(new BootRecord(BootCause.LocalFactoryReset, "")));
        }

        if (LocalAdminVerbs.DataModel.Contains(request.Verb))
        {
            return (await dataModel.HandleAsync(request, cancellationToken).ConfigureAwait(false), null);
        }

        return (LocalAdminResponse.Text(ExitCodes.Usage, $"unknown local administration verb '{request.Verb}'"), null);
    }
}

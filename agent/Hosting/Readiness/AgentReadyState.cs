namespace Usp.Agent.Hosting;

/// <summary>What the agent serves once it is ready.</summary>
internal sealed record AgentReadyState(IReadOnlyList<string> ListeningUris)
{
    /// <summary>One line for STATUS= and for logs.</summary>
    public string Summary => ListeningUris.Count == 0
        ? "Ready: no MTP listens, no USP Records are served"
        : "Ready: listening on " + string.Join(' ', ListeningUris);
}

/// <summary>Told once, when every MTP listens (see <see cref="ReadinessService"/>).</summary>
internal interface IReadinessObserver
{
    void OnReady(AgentReadyState state);
}

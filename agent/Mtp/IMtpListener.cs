namespace Usp.Agent.Mtp;

/// <summary>
/// An MTP that accepts USP Records from Controllers (the CoAP MTP, the CoAPS MTP…). Register one with
/// <see cref="AgentServiceList.AddMtpListener{T}"/> in Program.cs: it runs as a hosted
/// service, and the agent reports ready (stdout line, READY=1) once every registered listener is listening.
/// </summary>
internal interface IMtpListener
{
    /// <summary>A short name for logs, such as "CoAP".</summary>
    string Name { get; }

    /// <summary>
    /// Completes with the URIs the listener accepts Records on once its socket is bound; faults when it
    /// cannot listen (the agent then stops with a non-zero exit code).
    /// </summary>
    Task<IReadOnlyList<string>> WhenListening { get; }
}

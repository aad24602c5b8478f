using System.Net;
using Usp.DataModel;

namespace Usp.Agent.Mtp;

/// <summary>Resolves the host names the system resolver does not: <c>*.local</c> through mDNS (R-DIS.5).</summary>
internal interface IHostNameResolver
{
    bool Handles(string host);

    /// <summary>An address of <paramref name="host"/>, or null when nobody answered.</summary>
    Task<IPAddress?> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>Completes a Controller's MTP row that names no Host from service discovery (R-DIS.7).</summary>
internal interface IControllerLocator
{
    /// <summary>The row with Host, Port and (when it has none) Path filled in from what the Controller advertises; null when not found.</summary>
    Task<ControllerMtp?> LocateAsync(ControllerMtp configured, string controllerEndpointId, CancellationToken cancellationToken);
}

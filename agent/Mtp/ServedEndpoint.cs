using System.Net;

namespace Usp.Agent.Mtp;

/// <summary>
/// One USP Endpoint resource the agent serves, where Controllers reach it: what mDNS advertises and what a
/// coaps listener needs to know.
/// </summary>
/// <param name="Address">The bind address (a wildcard when the agent listens on every interface).</param>
/// <param name="Path">The resource path without a leading slash, e.g. <c>e/proto::agent</c>.</param>
/// <param name="Secure">Served over DTLS (coaps).</param>
/// <param name="MtpRow">The <c>Device.LocalAgent.MTP.{i}.</c> row it serves.</param>
internal sealed record ServedEndpoint(IPAddress Address, int Port, string Path, bool Secure, string MtpRow)
{
    public string Scheme => Secure ? "coaps" : "coap";

    /// <summary>The resource's URI, as text: a Uri would load System.Private.Uri into an agent that serves no request yet.</summary>
    public string Uri
    {
        get
        {
            string host = Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]" : Address.ToString();
            return $"{Scheme}://{host}:{Port}/{Path}";
        }
    }
}

/// <summary>The endpoints an MTP serves after a change (all of them, in MTP row order).</summary>
internal sealed class ServedEndpointsChangedEventArgs(IReadOnlyList<ServedEndpoint> endpoints) : EventArgs
{
    public IReadOnlyList<ServedEndpoint> Endpoints { get; } = endpoints;
}

/// <summary>
/// What an MTP serves, kept in step with the data model: subscribe to <see cref="Changed"/> (mDNS advertising,
/// say) and read <see cref="Current"/> for the state at subscription.
/// </summary>
internal interface IServedEndpoints
{
    IReadOnlyList<ServedEndpoint> Current { get; }

    /// <summary>Raised after the served endpoints changed (a port opened or closed, a path or security changed), off the engine lock.</summary>
    event EventHandler<ServedEndpointsChangedEventArgs>? Changed;
}

using Usp.Agent.EngineHost;
using Usp.Agent.Mtp;
using Usp.DataModel;
using Usp.DataModel.Store;

namespace Usp.Agent.Discovery;

/// <summary>
/// The agent's advertisement: one <c>_usp-agt-coap._udp</c> instance per endpoint the CoAP MTP serves (its
/// served-endpoints event), named by the EndpointID (R-DIS.8), with TXT <c>path=</c> the CoAP resource path
/// (R-COAP.3), <c>name=</c> Device.DeviceInfo.FriendlyName (R-DIS.9/10), and <c>encrypt</c> when the endpoint is
/// CoAP over DTLS (R-DIS.11a). Signals a change when the served endpoints change or the FriendlyName is committed.
/// </summary>
internal sealed class AgentAdvertisementSource : IMdnsAdvertisementSource
{
    public const string AgentServiceType = "_usp-agt-coap._udp";
    public const string FriendlyNamePath = "Device.DeviceInfo.FriendlyName";

    private readonly AgentEngine _engine;
    private readonly IServedEndpoints _served;
    private readonly string _hostLabel;
    private readonly IReadOnlyList<string> _subtypes;
    private Action? _changed;

    public AgentAdvertisementSource(AgentEngine engine, IServedEndpoints served, string hostLabel, IReadOnlyList<string> subtypes)
    {
        _engine = engine;
        _served = served;
        _hostLabel = hostLabel;
        _subtypes = subtypes;
        served.Changed += (_, _) => _changed?.Invoke();
        _ = engine.WhenOpen.ContinueWith(
            opened =>
            {
                if (opened.IsCompletedSuccessfully)
                {
                    opened.Result.ChangesCommitted += OnCommitted;
                    _changed?.Invoke();
                }
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public event Action? Changed
    {
        add => _changed += value;
        remove => _changed -= value;
    }

    public MdnsAdvertisement? Current
    {
        get
        {
            if (!_engine.WhenOpen.IsCompletedSuccessfully)
            {
                return null;
            }

            UspEngine engine = _engine.WhenOpen.Result;
            string friendlyName = engine.GetValue(FriendlyNamePath) ?? "";
            var services = new List<MdnsService>();

            // One instance name per instance: the first (encrypted MTPs first, then in MTP order) is the EndpointID
            // itself; any further CoAP MTP is "<EndpointID> (port N)" (see README, "mDNS and DNS-SD").
            foreach (ServedEndpoint endpoint in _served.Current.OrderBy(e => e.Secure ? 0 : 1).ThenBy(e => e.MtpRow, StringComparer.Ordinal))
            {
                string? qualifier = services.Count == 0 ? null : $" (port {endpoint.Port})";
                services.Add(Service(endpoint.MtpRow, engine.EndpointId, qualifier, endpoint.Port, endpoint.Path, friendlyName, endpoint.Secure, _subtypes));
            }

            return new MdnsAdvertisement(_hostLabel, services);
        }
    }

    /// <summary>One MTP's instance; the TXT strings in a fixed order so that equal data compares equal.</summary>
    public static MdnsService Service(string key, string endpointId, string? qualifier, int port, string path, string friendlyName, bool encrypted, IReadOnlyList<string> subtypes)
    {
        var txt = new List<string> { "path=" + path, "name=" + friendlyName };
        if (encrypted)
        {
            txt.Add("encrypt");
        }

        qualifier ??= "";
        string label = MdnsClaim.Fit(endpointId, Dns.DnsName.MaxLabelLength - System.Text.Encoding.UTF8.GetByteCount(qualifier)) + qualifier;
        return new MdnsService(key, label, AgentServiceType, (ushort)port, txt, subtypes);
    }

    private void OnCommitted(object? sender, ChangesCommittedEventArgs e)
    {
        // Under the engine lock: only signal; the responder reads the data model on its own thread. MTP changes
        // arrive through the served endpoints, once the MTP has acted on them.
        foreach (DataModelChange change in e.Changes)
        {
            if (change.Path.StartsWith(FriendlyNamePath, StringComparison.Ordinal))
            {
                _changed?.Invoke();
                return;
            }
        }
    }
}

using Usp.Agent.Engine;
using Usp.DataModel;
using Usp.DataModel.Store;

namespace Usp.Agent.Discovery;

/// <summary>
/// The agent's advertisement from the data model: one <c>_usp-agt-coap._udp</c> instance per CoAP MTP that is
/// served (Enable true and Status Up), named by the EndpointID (R-DIS.8), with TXT <c>path=</c> the CoAP resource
/// path (R-COAP.3), <c>name=</c> Device.DeviceInfo.FriendlyName (R-DIS.9/10), and <c>encrypt</c> when the MTP is
/// CoAP over DTLS (R-DIS.11a). Signals a change when an MTP or the FriendlyName is committed.
/// </summary>
internal sealed class AgentAdvertisementSource : IMdnsAdvertisementSource
{
    public const string AgentServiceType = "_usp-agt-coap._udp";
    public const string FriendlyNamePath = "Device.DeviceInfo.FriendlyName";

    private readonly AgentEngine _engine;
    private readonly string _hostLabel;
    private readonly IReadOnlyList<string> _subtypes;
    private Action? _changed;

    public AgentAdvertisementSource(AgentEngine engine, string hostLabel, IReadOnlyList<string> subtypes)
    {
        _engine = engine;
        _hostLabel = hostLabel;
        _subtypes = subtypes;
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
            IEnumerable<AgentMtp> served = engine.GetAgentMtps()
                .Where(m => string.Equals(m.Protocol, "CoAP", StringComparison.OrdinalIgnoreCase) && engine.GetValue(m.Path + "Status") == "Up")
                .OrderBy(m => m.EnableEncryption ? 0 : 1)
                .ThenBy(m => m.Path, StringComparer.Ordinal);
            foreach (AgentMtp mtp in served)
            {
                string? qualifier = services.Count == 0 ? null : $" (port {mtp.Port})";
                services.Add(Service(mtp.Path, engine.EndpointId, qualifier, mtp.Port, ResourcePath(mtp, engine.EndpointId), friendlyName, mtp.EnableEncryption, _subtypes));
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

    /// <summary>The CoAP resource path the MTP serves, as its Uri-Path segments joined (no leading slash).</summary>
    public static string ResourcePath(AgentMtp mtp, string endpointId) =>
        (string.IsNullOrWhiteSpace(mtp.ResourcePath) ? $"e/{endpointId}" : mtp.ResourcePath).Trim('/');

    private void OnCommitted(object? sender, ChangesCommittedEventArgs e)
    {
        // Under the engine lock: only signal; the responder reads the data model on its own thread.
        foreach (DataModelChange change in e.Changes)
        {
            if (change.Path.StartsWith("Device.LocalAgent.MTP.", StringComparison.Ordinal) ||
                change.Path.StartsWith(FriendlyNamePath, StringComparison.Ordinal) ||
                change.Path.StartsWith("Device.LocalAgent.EndpointID", StringComparison.Ordinal))
            {
                _changed?.Invoke();
                return;
            }
        }
    }
}

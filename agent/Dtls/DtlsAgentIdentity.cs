using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Usp.Agent.Hosting;
using Usp.DataModel;

namespace Usp.Agent.Dtls;

/// <summary>
/// The agent's DTLS identity and trust, built once: the configured certificate, key and trust store
/// (Agent:Certificate / Agent:PrivateKey / Agent:TrustStore, or --cert / --key / --trust-store), else a development
/// identity kept under the data directory (<c>dtls/</c>, made for the agent's EndpointID). The trust anchors follow
/// <c>Device.LocalAgent.Certificate.{i}</c> (AddCertificate()) from the moment it is committed.
/// </summary>
internal sealed class DtlsAgentIdentity
{
    private readonly AgentOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly AgentCredentials? _configured;
    private readonly IReadOnlyList<X509Certificate2> _configuredTrust;
    private DtlsSecurity? _security;
    private TrustAnchors? _anchors;
    private UspEngine? _engine;

    /// <summary>Reads the configured files at once, so that a bad one stops the agent before it starts.</summary>
    /// <exception cref="AgentConfigurationException">a file is missing or not usable.</exception>
    public DtlsAgentIdentity(AgentOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        if ((options.Certificate is null) != (options.PrivateKey is null))
        {
            throw new AgentConfigurationException("configuration Agent:Certificate and Agent:PrivateKey (--cert, --key) must be given together.");
        }

        if (options.Certificate is not null)
        {
            _configured = AgentCredentials.Load(options.Certificate, options.PrivateKey!);
            if (options.TrustStore is null)
            {
                throw new AgentConfigurationException("configuration Agent:TrustStore (--trust-store) is required with Agent:Certificate: the agent trusts no Controller without it.");
            }
        }

        _configuredTrust = options.TrustStore is { } trust ? PemCertificates.Load(trust, "Agent:TrustStore") : [];
        Time = new AbsoluteTime(TimeProvider.System, AbsoluteTime.BuildTimeOf(typeof(DtlsAgentIdentity)), options.AbsoluteTime);
    }

    public AbsoluteTime Time { get; }

    /// <summary>The files in use (for the banner): certificate, key, trust store; the development identity's when none is configured.</summary>
    public DevelopmentIdentity? Development { get; private set; }

    /// <summary>The security of every coaps transport; made on first use (the development identity needs the engine's EndpointID).</summary>
    public DtlsSecurity Security(UspEngine engine)
    {
        lock (_gate)
        {
            if (_security is not null)
            {
                return _security;
            }

            _engine = engine;
            AgentCredentials credentials;
            var trust = new List<X509Certificate2>(_configuredTrust);
            if (_configured is not null)
            {
                credentials = _configured;
            }
            else
            {
                Development = new DevelopmentIdentity(Path.Combine(_options.DataDir, "dtls"));
                try
                {
                    _logger.LogInformation("DTLS: {What}", Development.Ensure(engine.EndpointId, DateTimeOffset.UtcNow));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
                {
                    throw new AgentConfigurationException($"cannot write the development DTLS identity under {Development.Directory}: {e.Message}");
                }

                credentials = AgentCredentials.Load(Development.AgentCertificate, Development.AgentKey, "the development certificate", "the development key");
                trust.AddRange(PemCertificates.Load(Development.CaCertificate, "the development CA"));
            }

            if (credentials.EndpointId is { } id && id != engine.EndpointId)
            {
                _logger.LogWarning("DTLS: the agent certificate {File} names EndpointID {CertificateId}, not the agent's {EndpointId}", credentials.CertificateFile, id, engine.EndpointId);
            }

            _anchors = new TrustAnchors(trust);
            DtlsPsk? psk = _options.PskIdentity is { } pskId && _options.PskKey is { } key ? new DtlsPsk(pskId, Convert.FromHexString(key)) : null;
            _security = new DtlsSecurity(credentials, new PeerCertificateValidator(_anchors, Time), psk);
            RefreshTrust();
            engine.ChangesCommitted += (_, e) =>
            {
                if (e.Changes.Any(c => c.Path.StartsWith("Device.LocalAgent.Certificate.", StringComparison.Ordinal)))
                {
                    // Under the engine lock: read the table off it.
                    ThreadPool.QueueUserWorkItem(static self => self.RefreshTrust(), this, preferLocal: false);
                }
            };
            return _security;
        }
    }

    /// <summary>TOFU (ControllerTrust.TOFUAllowed): a self-signed or unknown-CA Controller certificate that carries an EndpointID is accepted; the engine gives it the UntrustedRole.</summary>
    public bool AcceptUntrusted(PeerCertificateVerdict verdict) =>
        verdict.Names.EndpointId is not null
        && !(verdict.Failure ?? "").Contains("valid", StringComparison.Ordinal)
        && _engine?.GetValue("Device.LocalAgent.ControllerTrust.TOFUAllowed") == "true";

    private void RefreshTrust()
    {
        if (_engine is not { } engine || _anchors is not { } anchors)
        {
            return;
        }

        var entries = new List<TrustAnchors.DataModelCertificate>();
        foreach ((string path, byte[] der) in engine.GetTrustedCertificates())
        {
            try
            {
                entries.Add(new TrustAnchors.DataModelCertificate(path, X509CertificateLoader.LoadCertificate(der)));
            }
            catch (CryptographicException e)
            {
                _logger.LogWarning("DTLS: {Path} is not a usable certificate: {Reason}", path, e.Message);
            }
        }

        anchors.SetDataModelCertificates(entries);
    }
}

/// <summary>Binds coaps transports (<see cref="DtlsCoapTransport"/>) for the CoAP MTP.</summary>
internal sealed class DtlsCoapTransportFactory(DtlsAgentIdentity identity, Func<UspEngine> engine, DtlsSessionSettings settings, ILogger logger)
    : Usp.Agent.Coap.ICoapTransportFactory
{
    public bool IsSecure => true;

    public Usp.Agent.Coap.ICoapTransport Bind(System.Net.IPEndPoint localEndPoint)
    {
        DtlsCoapTransport transport = DtlsCoapTransport.Bind(localEndPoint, identity.Security(engine()), settings, logger);
        transport.AcceptUntrusted = identity.AcceptUntrusted;
        return transport;
    }
}

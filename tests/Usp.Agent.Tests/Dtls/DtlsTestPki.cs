using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Usp.Agent.Coap;
using Usp.Agent.Dtls;
using Usp.Agent.Tests.Hosting;

namespace Usp.Agent.Tests.Dtls;

/// <summary>A development PKI in a temporary directory (gen-cert's files) and helpers to build DTLS transports on it.</summary>
internal sealed class DtlsTestPki : IDisposable
{
    public const string AgentId = "proto::dtls-agent";
    public const string ControllerId = "proto::dtls-controller";

    private readonly TempDirectory _directory = new();

    public DtlsTestPki()
    {
        Identity = new DevelopmentIdentity(_directory.Path);
        Identity.Generate(AgentId, ControllerId, DateTimeOffset.UtcNow);
    }

    public DevelopmentIdentity Identity { get; }

    public string Directory => _directory.Path;

    public string File(string name) => _directory.File(name);

    /// <summary>A second, unrelated PKI's files under <paramref name="name"/> (for "another CA" cases).</summary>
    public DevelopmentIdentity Other(string name, string agentId = AgentId, string controllerId = ControllerId)
    {
        var other = new DevelopmentIdentity(_directory.File(name));
        other.Generate(agentId, controllerId, DateTimeOffset.UtcNow);
        return other;
    }

    public static DtlsSecurity Security(string certificate, string key, string trustStore, AbsoluteTime? time = null, DtlsPsk? psk = null)
    {
        var anchors = new TrustAnchors(PemCertificates.Load(trustStore, "trust"));
        return new DtlsSecurity(AgentCredentials.Load(certificate, key), new PeerCertificateValidator(anchors, time ?? new AbsoluteTime(TimeProvider.System, DateTimeOffset.UnixEpoch)), psk);
    }

    public DtlsSecurity AgentSecurity(AbsoluteTime? time = null, DtlsPsk? psk = null) =>
        Security(Identity.AgentCertificate, Identity.AgentKey, Identity.CaCertificate, time, psk);

    public DtlsSecurity ControllerSecurity() =>
        Security(Identity.ControllerCertificate, Identity.ControllerKey, Identity.CaCertificate);

    public static DtlsCoapTransport Bind(DtlsSecurity security, DtlsSessionSettings? settings = null, ILogger? logger = null) =>
        DtlsCoapTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0), security, settings ?? new DtlsSessionSettings(), logger ?? NullLogger.Instance);

    public void Dispose() => _directory.Dispose();
}

/// <summary>Collects log lines (for asserting that a failure names the peer and the reason).</summary>
internal sealed class ListLogger : ILogger
{
    public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue($"{logLevel}: {formatter(state, exception)}");

    public string Text => string.Join('\n', Lines);
}

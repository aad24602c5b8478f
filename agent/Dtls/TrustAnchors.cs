using System.Security.Cryptography.X509Certificates;

namespace Usp.Agent.Dtls;

/// <summary>
/// The certificates the agent trusts for Controllers (and for the servers it connects to): the configured trust
/// store plus the data model's <c>Device.LocalAgent.Certificate.{i}</c> entries. Readers take an immutable
/// snapshot, so an <c>AddCertificate()</c> is in effect for the next handshake.
/// </summary>
internal sealed class TrustAnchors
{
    private volatile Snapshot _current;
    private readonly IReadOnlyList<X509Certificate2> _configured;

    public TrustAnchors(IReadOnlyList<X509Certificate2> configured)
    {
        _configured = configured;
        _current = new Snapshot(configured, []);
    }

    /// <summary>The certificates of the configured trust store file(s).</summary>
    public IReadOnlyList<X509Certificate2> Configured => _configured;

    public Snapshot Current => _current;

    /// <summary>Replaces the data model's certificates (called when Device.LocalAgent.Certificate changes).</summary>
    public void SetDataModelCertificates(IReadOnlyList<DataModelCertificate> certificates) =>
        _current = new Snapshot(_configured, certificates);

    /// <summary>A certificate of Device.LocalAgent.Certificate.{i} and its path.</summary>
    public sealed record DataModelCertificate(string Path, X509Certificate2 Certificate);

    public sealed class Snapshot
    {
        public Snapshot(IReadOnlyList<X509Certificate2> configured, IReadOnlyList<DataModelCertificate> dataModel)
        {
            Configured = configured;
            DataModel = dataModel;
            var all = new X509Certificate2Collection();
            foreach (X509Certificate2 certificate in configured)
            {
                all.Add(certificate);
            }

            foreach (DataModelCertificate entry in dataModel)
            {
                all.Add(entry.Certificate);
            }

            All = all;
        }

        public IReadOnlyList<X509Certificate2> Configured { get; }

        public IReadOnlyList<DataModelCertificate> DataModel { get; }

        public X509Certificate2Collection All { get; }

        /// <summary>The data-model path of <paramref name="anchor"/> (for ControllerTrust.Credential), or null when it came from the trust store file.</summary>
        public string? PathOf(X509Certificate2 anchor) =>
            DataModel.FirstOrDefault(d => d.Certificate.RawDataMemory.Span.SequenceEqual(anchor.RawDataMemory.Span))?.Path;
    }
}

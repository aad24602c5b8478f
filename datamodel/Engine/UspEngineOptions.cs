using Usp.DataModel.Areas;
using Usp.DataModel.Schema;
using Usp.DataModel.Security;

namespace Usp.DataModel;

/// <summary>How the host configures the engine.</summary>
public sealed class UspEngineOptions
{
    /// <summary>Directory holding the SQLite database (created if missing).</summary>
    public required string DataDirectory { get; init; }
    /// <summary>Factory-defaults text file, applied when there is no database and on FactoryReset.</summary>
    public string? FactoryDefaultsPath { get; init; }
    /// <summary>
    /// Explicit EndpointID (e.g. from configuration). When null the stored one is kept; a new
    /// database takes it from the factory defaults, else <c>os::&lt;OUI&gt;-&lt;SerialNumber&gt;</c>
    /// from DeviceInfo (whose identity <see cref="Identity"/> makes sure is never empty).
    /// </summary>
    public string? EndpointId { get; init; }
    /// <summary>Configured ManufacturerOUI / SerialNumber / ProductClass, and where the system's own identity is read.</summary>
    public DeviceIdentitySettings Identity { get; init; } = new();
    public string SoftwareVersion { get; init; } = "0.1.0";
    /// <summary>Extra data model areas (HAL providers, sensors…).</summary>
    public IReadOnlyList<IDataModelArea> Areas { get; init; } = [];
    /// <summary>
    /// Controller trust. Null (the default): <see cref="RoleBasedAccessPolicy"/>, computed from
    /// Device.LocalAgent.ControllerTrust. and the Controller table.
    /// </summary>
    public IAccessPolicy? AccessPolicy { get; init; }
    /// <summary>
    /// An Endpoint ID given full access whatever the trust model says: the host's local administration
    /// channel, which hands its Records to the engine directly (never through an MTP). Null: none.
    /// </summary>
    public string? FullAccessEndpointId { get; init; }
    public IEngineLog Log { get; init; } = new NullEngineLog();
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>DeviceInfo's uptime, memory and CPU figures; null: /proc under <see cref="DeviceIdentitySettings.SystemRoot"/>.</summary>
    public ISystemStatus? SystemStatus { get; init; }
    /// <summary>The rows of Device.DeviceInfo.ProcessStatus.Process.{i}.; null: /proc under <see cref="DeviceIdentitySettings.SystemRoot"/>.</summary>
    public ProcProcessTable? Processes { get; init; }
    /// <summary>Upper bound on paths and settings in one request (larger ones get error 7005).</summary>
    public int MaxPathsPerMessage { get; init; } = 1024;
    /// <summary>Delivers the Records the engine originates (notifications); null: they are only queued.</summary>
    public Notifications.IOutboundRecordSender? OutboundSender { get; init; }
    /// <summary>Restarts the device after Device.Reboot()/FactoryReset(); null: those commands fail.</summary>
    public Operations.IDeviceRestart? DeviceRestart { get; init; }
    /// <summary>Checked by Device.SelfTestDiagnostics() besides the database.</summary>
    public IReadOnlyList<Operations.ISelfTestParticipant> SelfTestParticipants { get; init; } = [];
    /// <summary>How often computed parameters under a ValueChange subscription are read (stored ones notify on commit).</summary>
    public TimeSpan ValueChangePollInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>How long a (from_id, msg_id) pair is remembered to ignore duplicates.</summary>
    public TimeSpan DuplicateWindow { get; init; } = TimeSpan.FromMinutes(2);
}

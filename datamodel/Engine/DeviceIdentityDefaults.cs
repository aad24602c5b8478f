using Usp.DataModel.Areas;
using Usp.DataModel.Schema;
using Usp.DataModel.Store;

namespace Usp.DataModel;

/// <summary>How the host configures the device's identity; every value left null is taken from the data model or the system.</summary>
public sealed class DeviceIdentitySettings
{
    /// <summary>Wins over the factory defaults and the stored value (six upper-case hex digits).</summary>
    public string? ManufacturerOui { get; init; }
    public string? SerialNumber { get; init; }
    public string? ProductClass { get; init; }
    /// <summary>Where /proc, /sys and /etc are read from (tests point it at a fake tree).</summary>
    public string SystemRoot { get; init; } = "/";
}

/// <summary>The device identity in use: <c>Device.DeviceInfo.</c>'s identity parameters, their sources and the EndpointID.</summary>
public sealed record DeviceIdentity(string ManufacturerOui, string ProductClass, string SerialNumber, string EndpointId,
    string OuiSource, string SerialSource);

/// <summary>
/// Makes sure <c>Device.DeviceInfo.</c> always names the device: the configured ManufacturerOUI, SerialNumber and
/// ProductClass win; otherwise the stored value (the factory defaults' or an earlier start's) is kept; an empty one
/// is derived from the system (<see cref="SystemIdentityProbe"/>) and stored, so it stays the same across restarts.
/// </summary>
internal sealed class DeviceIdentityDefaults(DeviceIdentitySettings settings, IEngineLog log)
{
    public const string DefaultProductClass = "USP-Agent";
    private const string GeneratedSerialKey = "generated_serial_number";
    private const string SourcesKey = "identity_sources";

    private SystemIdentity? _probed;

    private SystemIdentity Probed => _probed ??= new SystemIdentityProbe(settings.SystemRoot).Probe();

    /// <summary>Fills DeviceInfo's identity in one transaction; returns where the OUI and serial number came from.</summary>
    /// <param name="factoryDefaultsApplied">True right after the factory defaults were written: stored values are theirs.</param>
    public (string OuiSource, string SerialSource) Apply(DataModelStore store, bool factoryDefaultsApplied)
    {
        var info = store.Tree.Find(DeviceInfoArea.Path)!;
        var tx = store.Begin(null);
        var sources = factoryDefaultsApplied ? null : store.GetMeta(SourcesKey)?.Split('\n');
        string storedSource = factoryDefaultsApplied ? "factory defaults" : "stored";
        string ouiSource = sources?[0] ?? storedSource, serialSource = sources is [_, var s] ? s : storedSource;

        ouiSource = Decide(tx, info, "ManufacturerOUI", settings.ManufacturerOui, () => (Probed.ManufacturerOui, Probed.OuiSource), ouiSource);
        serialSource = Decide(tx, info, "SerialNumber", settings.SerialNumber, () => DerivedSerial(store), serialSource);
        Decide(tx, info, "ProductClass", settings.ProductClass, () => (DefaultProductClass, "default"), "");
        FillModelName(tx, info);
        if (!tx.IsEmpty && !store.Commit(tx, out var error))
            throw new IOException(error);
        store.SetMeta(SourcesKey, ouiSource + "\n" + serialSource);
        return (ouiSource, serialSource);
    }

    private string Decide(DmTransaction tx, DmObject info, string name, string? configured, Func<(string Value, string Source)> derive, string storedSource)
    {
        var param = info.Schema.FindParam(name)!;
        string stored = info.GetValue(name) ?? "";
        if (!string.IsNullOrEmpty(configured))
        {
            var check = ValueValidator.Check(param, configured);
            if (check.Ok)
            {
                if (stored != check.Value)
                    tx.SetValue(info, name, check.Value);
                return "configuration";
            }
            log.Warning($"Configured {name} '{configured}' is not valid: {check.Error} The data model's value is used.");
        }
        if (stored.Length > 0)
            return storedSource == "configuration" ? "stored" : storedSource;
        var (value, source) = derive();
        tx.SetValue(info, name, value);
        log.Info($"Device.DeviceInfo.{name} was empty: set to '{value}' ({source}).");
        return source;
    }

    /// <summary>An empty ModelName takes the board's model when the system names one; it stays empty otherwise (nothing to invent).</summary>
    private void FillModelName(DmTransaction tx, DmObject info)
    {
        if (!string.IsNullOrEmpty(info.GetValue("ModelName")) || Probed.ModelName is not { } model)
            return;
        var check = ValueValidator.Check(info.Schema.FindParam("ModelName")!, model);
        if (!check.Ok)
            return;
        tx.SetValue(info, "ModelName", check.Value);
        log.Info($"Device.DeviceInfo.ModelName was empty: set to '{check.Value}' ({Probed.ModelSource}).");
    }

    private (string Value, string Source) DerivedSerial(DataModelStore store)
    {
        if (Probed.SerialNumber is { } serial)
            return (serial, Probed.SerialSource);
        // Nothing on the system names this device: a random serial number, kept in the database (and across factory resets).
        var generated = store.GetMeta(GeneratedSerialKey) ?? "UA" + Guid.NewGuid().ToString("N")[..16].ToUpperInvariant();
        store.SetMeta(GeneratedSerialKey, generated);
        return (generated, "generated (no device tree, DMI, permanent interface or machine-id)");
    }
}

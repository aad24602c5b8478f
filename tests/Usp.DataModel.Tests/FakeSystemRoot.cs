namespace Usp.DataModel.Tests;

/// <summary>A directory standing in for /, with the /proc, /sys and /etc files the identity probe reads.</summary>
internal sealed class FakeSystemRoot : IDisposable
{
    public FakeSystemRoot() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "usp-fake-root", Guid.NewGuid().ToString("N"));

    public FakeSystemRoot File(string relative, string content)
    {
        string full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllText(full, content);
        return this;
    }

    /// <param name="assignType">The kernel's addr_assign_type: 0 permanent, 1 random, 3 set by user space.</param>
    public FakeSystemRoot Interface(string name, int index, string address, int assignType = 0, int type = 1) =>
        File($"sys/class/net/{name}/address", address + "\n")
            .File($"sys/class/net/{name}/addr_assign_type", assignType + "\n")
            .File($"sys/class/net/{name}/type", type + "\n")
            .File($"sys/class/net/{name}/ifindex", index + "\n");

    public DeviceIdentitySettings Settings(string? oui = null, string? serial = null, string? productClass = null) =>
        new() { SystemRoot = Path, ManufacturerOui = oui, SerialNumber = serial, ProductClass = productClass };

    public void Dispose()
    {
        try { Directory.Delete(Path, true); } catch (IOException) { }
    }
}

using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Usp.Hal.Devices;

namespace Usp.Hal.Linux;

/// <summary>
/// SMBus transfers on <c>/dev/i2c-N</c> through i2c-dev's ioctls (<c>I2C_FUNCS</c>, <c>I2C_SLAVE</c>, <c>I2C_SMBUS</c>;
/// linux/i2c-dev.h, linux/i2c.h). 64-bit kernels only, as the agent's builds are.
/// </summary>
public sealed partial class LinuxSmbus : ISmbus
{
    private const nuint I2cSlave = 0x0703;
    private const nuint I2cFuncs = 0x0705;
    private const nuint I2cSmbus = 0x0720;
    private const byte Write = 0;
    private const byte Read = 1;
    private const uint SizeByte = 1;
    private const uint SizeByteData = 2;
    private const uint SizeI2cBlockData = 8;

    /// <summary>I2C_FUNC_I2C: the adapter makes plain I2C transfers.</summary>
    public const ulong FuncI2c = 0x00000001;
    private const ulong FuncReadByte = 0x00020000, FuncWriteByte = 0x00040000;
    private const ulong FuncReadByteData = 0x00080000, FuncWriteByteData = 0x00100000;
    private const ulong FuncReadI2cBlock = 0x04000000, FuncWriteI2cBlock = 0x08000000;
    /// <summary>What <see cref="SmbusI2cDevice"/> needs at least: send/receive byte, read/write byte data.</summary>
    public const ulong FuncSmbusBasic = FuncReadByte | FuncWriteByte | FuncReadByteData | FuncWriteByteData;

    private readonly SafeFileHandle _handle;
    private readonly string _path;

    private LinuxSmbus(SafeFileHandle handle, string path, bool hasI2cBlock)
    {
        _handle = handle;
        _path = path;
        HasI2cBlock = hasI2cBlock;
    }

    public bool HasI2cBlock { get; }

    /// <summary>The adapter's I2C_FUNC_* bits.</summary>
    public static ulong Functionality(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        return Functionality(handle, path);
    }

    /// <summary>Opens <paramref name="path"/> for the device at <paramref name="address"/>.</summary>
    public static LinuxSmbus Open(string path, int address)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        try
        {
            ulong funcs = Functionality(handle, path);
            if ((funcs & FuncSmbusBasic) != FuncSmbusBasic)
                throw new HalDeviceUnavailableException($"{path} makes neither plain I2C transfers nor SMBus byte transfers (functionality 0x{funcs:x8})");
            if (IoctlValue(handle, I2cSlave, (nuint)address) != 0)
                throw new HalDeviceUnavailableException($"{path}: cannot address 0x{address:x2} ({Error()}; a kernel driver may own it)");
            return new LinuxSmbus(handle, path, (funcs & (FuncReadI2cBlock | FuncWriteI2cBlock)) == (FuncReadI2cBlock | FuncWriteI2cBlock));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public void SendByte(byte value) => Transfer(Write, value, SizeByte, []);

    public byte ReceiveByte()
    {
        Span<byte> data = stackalloc byte[34];
        Transfer(Read, 0, SizeByte, data);
        return data[0];
    }

    public byte ReadByteData(byte command)
    {
        Span<byte> data = stackalloc byte[34];
        Transfer(Read, command, SizeByteData, data);
        return data[0];
    }

    public void WriteByteData(byte command, byte value)
    {
        Span<byte> data = stackalloc byte[34];
        data[0] = value;
        Transfer(Write, command, SizeByteData, data);
    }

    public void ReadI2cBlock(byte command, Span<byte> buffer)
    {
        Span<byte> data = stackalloc byte[34];
        data[0] = (byte)buffer.Length;
        Transfer(Read, command, SizeI2cBlockData, data);
        if (data[0] < buffer.Length)
            throw new IOException($"{_path}: I2C block read of 0x{command:x2} returned {data[0]} of {buffer.Length} bytes");
        data.Slice(1, buffer.Length).CopyTo(buffer);
    }

    public void WriteI2cBlock(byte command, ReadOnlySpan<byte> payload)
    {
        Span<byte> data = stackalloc byte[34];
        data[0] = (byte)payload.Length;
        payload.CopyTo(data[1..]);
        Transfer(Write, command, SizeI2cBlockData, data);
    }

    public void Dispose() => _handle.Dispose();

    private unsafe void Transfer(byte direction, byte command, uint size, Span<byte> data)
    {
        fixed (byte* union = data)
        {
            var request = new SmbusIoctlData { ReadWrite = direction, Command = command, Size = size, Data = union };
            if (IoctlPointer(_handle, I2cSmbus, &request) != 0)
                throw new IOException($"{_path}: SMBus transfer (command 0x{command:x2}) failed: {Error()}");
        }
    }

    private static unsafe ulong Functionality(SafeFileHandle handle, string path)
    {
        ulong funcs = 0;
        if (IoctlPointer(handle, I2cFuncs, &funcs) != 0)
            throw new HalDeviceUnavailableException($"{path}: I2C_FUNCS failed ({Error()})");
        return funcs;
    }

    private static string Error() => Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());

    /// <summary>struct i2c_smbus_ioctl_data (linux/i2c-dev.h), 64-bit layout.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct SmbusIoctlData
    {
        public byte ReadWrite;
        public byte Command;
        public uint Size;
        public byte* Data;
    }

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int IoctlPointer(SafeFileHandle fd, nuint request, void* argument);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoctlValue(SafeFileHandle fd, nuint request, nuint argument);
}

using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using Google.Protobuf.Reflection;

namespace Usp.Proto.Tests;

/// <summary>
/// Compiles the Broadband Forum reference .proto files (../shared/spec/usp) with the protoc that ships in
/// Grpc.Tools, so the tests compare against the standard itself rather than against a copy.
/// </summary>
internal static class ReferenceSchemas
{
    public static string SchemaDir { get; } = Metadata("ReferenceSchemaDir");

    public static string Protoc { get; } = FindProtoc();

    /// <summary>Returns the descriptor of <paramref name="fileName"/> as protoc parses it.</summary>
    public static FileDescriptorProto Compile(string fileName)
    {
        string output = Path.Combine(Path.GetTempPath(), $"usp-ref-{Guid.NewGuid():N}.pb");
        try
        {
            Run(Protoc, ["--proto_path", SchemaDir, "--descriptor_set_out", output, fileName], stdin: null);
            var set = FileDescriptorSet.Parser.ParseFrom(File.ReadAllBytes(output));
            return set.File.Single(f => f.Name == fileName);
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>Encodes a protobuf text-format message with the given reference schema.</summary>
    public static byte[] Encode(string fileName, string messageType, string textFormat) =>
        Run(Protoc, ["--proto_path", SchemaDir, $"--encode={messageType}", fileName], textFormat);

    private static byte[] Run(string exe, string[] args, string? stdin)
    {
        var info = new ProcessStartInfo(exe)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {exe}");
        process.StandardInput.Write(stdin ?? string.Empty);
        process.StandardInput.Close();
        using var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        string stderr = process.StandardError.ReadToEnd();
        copy.GetAwaiter().GetResult();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{exe} did not finish within 60 s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(exe)} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr}");
        }

        return stdout.ToArray();
    }

    private static string FindProtoc()
    {
        string platform = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "linux_x64",
            Architecture.Arm64 => "linux_arm64",
            Architecture.X86 => "linux_x86",
            var other => throw new PlatformNotSupportedException($"Grpc.Tools ships no protoc for {other}"),
        };
        string protoc = Path.Combine(Metadata("GrpcToolsDir"), platform, "protoc");
        if (!File.Exists(protoc))
        {
            throw new FileNotFoundException($"protoc from Grpc.Tools not found at {protoc}; run a NuGet restore", protoc);
        }

        // NuGet does not always keep the execute bit of package content.
        var mode = File.GetUnixFileMode(protoc);
        if ((mode & UnixFileMode.UserExecute) == 0)
        {
            File.SetUnixFileMode(protoc, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        return protoc;
    }

    private static string Metadata(string key) =>
        typeof(ReferenceSchemas).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"assembly metadata {key} is empty");
}

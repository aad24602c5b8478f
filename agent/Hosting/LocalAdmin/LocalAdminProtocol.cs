using System.Buffers.Binary;
using System.Text;

namespace Usp.Agent.Hosting.LocalAdmin;

/// <summary>
/// The framing of the local administration socket. Each message is one frame: a 4-byte big-endian body
/// length, then the body. A request body is: version (1 byte, 1), flags (1 byte, bit 0 = JSON wanted),
/// argument count including the verb (2 bytes BE), then each string as 4-byte BE length + UTF-8. A response
/// body is: version (1 byte, 1), exit code (4 bytes BE, signed), content type (1 byte, 0 text, 1 JSON), then
/// the text as 4-byte BE length + UTF-8. One request and one response per connection.
/// </summary>
internal static class LocalAdminProtocol
{
    public const byte Version = 1;
    public const int MaxFrameLength = 4 * 1024 * 1024;

    /// <summary>sun_path holds 108 bytes including the terminating NUL.</summary>
    private const int MaxSocketPathBytes = 107;

    /// <summary>The socket's endpoint; a path too long for a Unix socket is a configuration problem with a clear fix.</summary>
    public static System.Net.Sockets.UnixDomainSocketEndPoint EndPoint(string socketPath) =>
        Encoding.UTF8.GetByteCount(socketPath) <= MaxSocketPathBytes
            ? new(socketPath)
            : throw new AgentConfigurationException(
                $"the administration socket path {socketPath} is longer than the {MaxSocketPathBytes} bytes a Unix socket allows: use a shorter --data-dir.");

    public static byte[] EncodeRequest(LocalAdminRequest request)
    {
        var body = new List<byte> { Version, (byte)(request.Json ? 1 : 0) };
        AppendUInt16(body, checked((ushort)(request.Arguments.Count + 1)));
        AppendString(body, request.Verb);
        foreach (string argument in request.Arguments)
        {
            AppendString(body, argument);
        }

        return Frame(body);
    }

    public static LocalAdminRequest DecodeRequest(ReadOnlySpan<byte> body)
    {
        var reader = new BodyReader(body);
        ExpectVersion(reader.Byte());
        bool json = (reader.Byte() & 1) != 0;
        int count = reader.UInt16();
        if (count == 0)
        {
            throw new InvalidDataException("the request names no verb");
        }

        string verb = reader.String();
        var arguments = new string[count - 1];
        for (int i = 0; i < arguments.Length; i++)
        {
            arguments[i] = reader.String();
        }

        reader.ExpectEnd();
        return new LocalAdminRequest(verb, arguments, json);
    }

    public static byte[] EncodeResponse(LocalAdminResponse response)
    {
        var body = new List<byte> { Version };
        Span<byte> code = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(code, response.ExitCode);
        body.AddRange(code);
        body.Add((byte)(response.IsJson ? 1 : 0));
        AppendString(body, response.Body);
        return Frame(body);
    }

    public static LocalAdminResponse DecodeResponse(ReadOnlySpan<byte> body)
    {
        var reader = new BodyReader(body);
        ExpectVersion(reader.Byte());
        int exitCode = reader.Int32();
        bool json = reader.Byte() == 1;
        string text = reader.String();
        reader.ExpectEnd();
        return new LocalAdminResponse(exitCode, json, text);
    }

    /// <summary>Reads one frame's body; null when the peer closed the connection before sending one.</summary>
    public static async Task<byte[]?> ReadFrameAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] header = new byte[4];
        int read = await stream.ReadAtLeastAsync(header, 4, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return null;
        }

        if (read < 4)
        {
            throw new InvalidDataException("the connection closed inside a frame header");
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length > MaxFrameLength)
        {
            throw new InvalidDataException($"a frame of {length} bytes exceeds the {MaxFrameLength}-byte limit");
        }

        byte[] body = new byte[length];
        await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        return body;
    }

    private static void ExpectVersion(byte version)
    {
        if (version != Version)
        {
            throw new InvalidDataException($"unsupported local administration protocol version {version} (this build speaks {Version})");
        }
    }

    private static byte[] Frame(List<byte> body)
    {
        if (body.Count > MaxFrameLength)
        {
            throw new InvalidDataException($"a frame of {body.Count} bytes exceeds the {MaxFrameLength}-byte limit");
        }

        byte[] frame = new byte[4 + body.Count];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)body.Count);
        body.CopyTo(frame, 4);
        return frame;
    }

    private static void AppendUInt16(List<byte> body, ushort value)
    {
        body.Add((byte)(value >> 8));
        body.Add((byte)value);
    }

    private static void AppendString(List<byte> body, string value)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)utf8.Length);
        body.AddRange(length);
        body.AddRange(utf8);
    }

    private ref struct BodyReader(ReadOnlySpan<byte> body)
    {
        private ReadOnlySpan<byte> _rest = body;

        public byte Byte() => Take(1)[0];

        public ushort UInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

        public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

        public string String()
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(Take(4));
            return length > (uint)_rest.Length
                ? throw new InvalidDataException($"a string of {length} bytes runs past the end of the frame")
                : Encoding.UTF8.GetString(Take((int)length));
        }

        public readonly void ExpectEnd()
        {
            if (!_rest.IsEmpty)
            {
                throw new InvalidDataException($"{_rest.Length} unexpected bytes after the message");
            }
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (_rest.Length < count)
            {
                throw new InvalidDataException("the frame ends in the middle of a field");
            }

            ReadOnlySpan<byte> taken = _rest[..count];
            _rest = _rest[count..];
            return taken;
        }
    }
}

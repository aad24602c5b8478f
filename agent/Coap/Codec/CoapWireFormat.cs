using System.Buffers.Binary;

namespace Usp.Agent.Coap;

/// <summary>Why a datagram is not a well-formed CoAP message (RFC 7252 §3).</summary>
public enum CoapFormatError : byte
{
    None,
    TooShort,
    UnsupportedVersion,
    TokenLengthReserved,
    Truncated,
    OptionDeltaReserved,
    OptionLengthReserved,
    OptionNumberOverflow,
    PayloadMarkerWithoutPayload,
    EmptyMessageNotEmpty,
    ReservedCodeClass,
}

/// <summary>The fixed four-byte header.</summary>
public readonly record struct CoapHeader(CoapMessageType Type, int TokenLength, CoapCode Code, ushort MessageId)
{
    public const int Size = 4;
    public const int Version = 1;

    /// <summary>Reads the header only. Type and Message ID stay usable for a Reset even when the rest is malformed.</summary>
    public static CoapFormatError TryRead(ReadOnlySpan<byte> datagram, out CoapHeader header)
    {
        header = default;
        if (datagram.Length < Size)
        {
            return CoapFormatError.TooShort;
        }
        byte first = datagram[0];
        header = new CoapHeader((CoapMessageType)((first >> 4) & 0x3), first & 0xF, new CoapCode(datagram[1]),
            BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]));
        if (first >> 6 != Version)
        {
            return CoapFormatError.UnsupportedVersion;
        }
        return header.TokenLength > 8 ? CoapFormatError.TokenLengthReserved : CoapFormatError.None;
    }
}

/// <summary>Forward-only reader over one datagram: header, token, options in order, payload. Allocates nothing.</summary>
public ref struct CoapMessageReader
{
    private readonly ReadOnlySpan<byte> _datagram;
    private int _position;
    private ushort _lastNumber;
    private bool _optionsDone;
    private readonly bool _tokenValid;

    public CoapMessageReader(ReadOnlySpan<byte> datagram)
    {
        _datagram = datagram;
        Error = CoapHeader.TryRead(datagram, out var header);
        Header = header;
        if (Error == CoapFormatError.None && datagram.Length < CoapHeader.Size + header.TokenLength)
        {
            Error = CoapFormatError.Truncated;
        }
        _tokenValid = Error == CoapFormatError.None;
        if (Error == CoapFormatError.None && header.Code.IsEmpty && datagram.Length != CoapHeader.Size)
        {
            // An Empty message is exactly the 4-byte header (RFC 7252 §4.1).
            Error = CoapFormatError.EmptyMessageNotEmpty;
        }
        if (Error == CoapFormatError.None && header.Code.IsReservedClass)
        {
            Error = CoapFormatError.ReservedCodeClass;
        }
        _position = Error == CoapFormatError.None ? CoapHeader.Size + header.TokenLength : datagram.Length;
        _optionsDone = Error != CoapFormatError.None;
    }

    public CoapHeader Header { get; }

    public CoapFormatError Error { get; private set; }

    /// <summary>The token, when the header and token were readable (even if a later part is malformed).</summary>
    public readonly ReadOnlySpan<byte> Token => _tokenValid ? _datagram.Slice(CoapHeader.Size, Header.TokenLength) : default;

    /// <summary>The payload; valid once <see cref="TryReadOption"/> has returned false with no error.</summary>
    public readonly ReadOnlySpan<byte> Payload => _optionsDone && Error == CoapFormatError.None ? _datagram[_position..] : default;

    /// <summary>Reads the next option. Returns false at the end of the options or on a format error (see <see cref="Error"/>).</summary>
    public bool TryReadOption(out ushort number, out ReadOnlySpan<byte> value)
    {
        number = 0;
        value = default;
        if (_optionsDone)
        {
            return false;
        }
        if (_position >= _datagram.Length)
        {
            _optionsDone = true;
            return false;
        }
        byte first = _datagram[_position];
        if (first == 0xFF)
        {
            _position++;
            _optionsDone = true;
            if (_position == _datagram.Length)
            {
                return Fail(CoapFormatError.PayloadMarkerWithoutPayload);
            }
            return false;
        }
        _position++;
        if (!TryReadExtended(first >> 4, CoapFormatError.OptionDeltaReserved, out int delta) ||
            !TryReadExtended(first & 0xF, CoapFormatError.OptionLengthReserved, out int length))
        {
            return false;
        }
        int optionNumber = _lastNumber + delta;
        if (optionNumber > ushort.MaxValue)
        {
            return Fail(CoapFormatError.OptionNumberOverflow);
        }
        if (_datagram.Length - _position < length)
        {
            return Fail(CoapFormatError.Truncated);
        }
        number = _lastNumber = (ushort)optionNumber;
        value = _datagram.Slice(_position, length);
        _position += length;
        return true;
    }

    private bool TryReadExtended(int nibble, CoapFormatError reserved, out int result)
    {
        result = nibble;
        switch (nibble)
        {
            case < 13:
                return true;
            case 13:
                if (_position + 1 > _datagram.Length)
                {
                    return Fail(CoapFormatError.Truncated);
                }
                result = _datagram[_position] + 13;
                _position += 1;
                return true;
            case 14:
                if (_position + 2 > _datagram.Length)
                {
                    return Fail(CoapFormatError.Truncated);
                }
                result = BinaryPrimitives.ReadUInt16BigEndian(_datagram[_position..]) + 269;
                _position += 2;
                return true;
            default:
                return Fail(reserved);
        }
    }

    private bool Fail(CoapFormatError error)
    {
        Error = error;
        _optionsDone = true;
        return false;
    }
}

/// <summary>Writes one message into a caller-provided buffer. Options must be written in ascending number order.</summary>
public ref struct CoapMessageWriter
{
    private readonly Span<byte> _buffer;
    private int _position;
    private int _lastNumber;

    public CoapMessageWriter(Span<byte> buffer)
    {
        _buffer = buffer;
    }

    public readonly int BytesWritten => _position;

    /// <summary>An Empty message (RFC 7252 §4.1): an ACK or RST with no token, options or payload.</summary>
    public static byte[] Empty(CoapMessageType type, ushort messageId)
    {
        var bytes = new byte[CoapHeader.Size];
        new CoapMessageWriter(bytes).WriteHeader(type, CoapCode.Empty, messageId, default);
        return bytes;
    }

    public void WriteHeader(CoapMessageType type, CoapCode code, ushort messageId, scoped ReadOnlySpan<byte> token)
    {
        if (token.Length > 8)
        {
            throw new ArgumentException("A token is at most 8 bytes.", nameof(token));
        }
        EnsureSpace(CoapHeader.Size + token.Length);
        _buffer[0] = (byte)((CoapHeader.Version << 6) | ((int)type << 4) | token.Length);
        _buffer[1] = code.Value;
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], messageId);
        token.CopyTo(_buffer[CoapHeader.Size..]);
        _position = CoapHeader.Size + token.Length;
        _lastNumber = 0;
    }

    public void WriteOption(ushort number, scoped ReadOnlySpan<byte> value)
    {
        if (number < _lastNumber)
        {
            throw new InvalidOperationException("Options must be written in ascending order.");
        }
        if (value.Length > MaxOptionLength)
        {
            throw new ArgumentException($"An option value is at most {MaxOptionLength} bytes.", nameof(value));
        }
        int delta = number - _lastNumber;
        EnsureSpace(OptionSize(delta, value.Length));
        int headerAt = _position++;
        int deltaNibble = WriteExtended(delta);
        int lengthNibble = WriteExtended(value.Length);
        _buffer[headerAt] = (byte)((deltaNibble << 4) | lengthNibble);
        value.CopyTo(_buffer[_position..]);
        _position += value.Length;
        _lastNumber = number;
    }

    public void WriteUIntOption(ushort number, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        int length = CoapUInt.EncodedLength(value);
        CoapUInt.Write(value, bytes);
        WriteOption(number, bytes[..length]);
    }

    public void WritePayload(scoped ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return;
        }
        EnsureSpace(1 + payload.Length);
        _buffer[_position++] = 0xFF;
        payload.CopyTo(_buffer[_position..]);
        _position += payload.Length;
    }

    /// <summary>The largest length the 2-byte length extension can express (65535 + 269).</summary>
    public const int MaxOptionLength = ushort.MaxValue + 269;

    public static int OptionSize(int delta, int length) => 1 + ExtendedSize(delta) + ExtendedSize(length) + length;

    private static int ExtendedSize(int value) => value < 13 ? 0 : value < 269 ? 1 : 2;

    private int WriteExtended(int value)
    {
        if (value < 13)
        {
            return value;
        }
        if (value < 269)
        {
            _buffer[_position++] = (byte)(value - 13);
            return 13;
        }
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_position..], (ushort)(value - 269));
        _position += 2;
        return 14;
    }

    private readonly void EnsureSpace(int bytes)
    {
        if (_buffer.Length - _position < bytes)
        {
            throw new ArgumentException("The destination buffer is too small for this CoAP message.");
        }
    }
}

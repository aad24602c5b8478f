using System.Text;

namespace Usp.Agent.Coap;

/// <summary>
/// A decoded or to-be-encoded CoAP message. Decoding allocates the message and one option list; option
/// values and the payload slice the datagram, so there is no allocation per option.
/// </summary>
public sealed class CoapMessage
{
    private readonly List<CoapOption> _options;

    public CoapMessage()
    {
        _options = [];
    }

    private CoapMessage(List<CoapOption> options)
    {
        _options = options;
    }

    /// <summary>For a received request: work its handler asked to run once the response is sent.</summary>
    internal Action? AfterResponse { get; set; }

    public CoapMessageType Type { get; set; }

    public CoapCode Code { get; set; }

    public ushort MessageId { get; set; }

    public ReadOnlyMemory<byte> Token { get; set; }

    /// <summary>Options in ascending number order; repeated options keep their order.</summary>
    public IReadOnlyList<CoapOption> Options => _options;

    public ReadOnlyMemory<byte> Payload { get; set; }

    public bool IsRequest => Code.IsRequest;

    public bool IsEmpty => Code.IsEmpty;

    public static CoapFormatError TryDecode(ReadOnlyMemory<byte> datagram, out CoapMessage? message)
    {
        message = null;
        var reader = new CoapMessageReader(datagram.Span);
        if (reader.Error != CoapFormatError.None)
        {
            return reader.Error;
        }
        int count = 0;
        while (reader.TryReadOption(out _, out _))
        {
            count++;
        }
        if (reader.Error != CoapFormatError.None)
        {
            return reader.Error;
        }

        var options = new List<CoapOption>(count);
        // Second pass records offsets; the values become slices of the caller's memory.
        var span = datagram.Span;
        reader = new CoapMessageReader(span);
        while (reader.TryReadOption(out ushort number, out var value))
        {
            int offset = OffsetWithin(span, value);
            options.Add(new CoapOption(number, datagram.Slice(offset, value.Length)));
        }
        int payloadOffset = datagram.Length - reader.Payload.Length;
        var header = reader.Header;
        message = new CoapMessage(options)
        {
            Type = header.Type,
            Code = header.Code,
            MessageId = header.MessageId,
            Token = datagram.Slice(CoapHeader.Size, header.TokenLength),
            Payload = datagram[payloadOffset..],
        };
        return CoapFormatError.None;
    }

    private static int OffsetWithin(ReadOnlySpan<byte> outer, ReadOnlySpan<byte> inner) =>
        inner.IsEmpty ? 0 : (int)System.Runtime.CompilerServices.Unsafe.ByteOffset(
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(outer),
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(inner));

    public int GetEncodedLength()
    {
        int length = CoapHeader.Size + Token.Length;
        int last = 0;
        foreach (var option in _options)
        {
            length += CoapMessageWriter.OptionSize(option.Number - last, option.Value.Length);
            last = option.Number;
        }
        return Payload.IsEmpty ? length : length + 1 + Payload.Length;
    }

    public int Encode(Span<byte> destination)
    {
        var writer = new CoapMessageWriter(destination);
        writer.WriteHeader(Type, Code, MessageId, Token.Span);
        foreach (var option in _options)
        {
            writer.WriteOption(option.Number, option.Value.Span);
        }
        writer.WritePayload(Payload.Span);
        return writer.BytesWritten;
    }

    public byte[] ToArray()
    {
        var bytes = new byte[GetEncodedLength()];
        Encode(bytes);
        return bytes;
    }

    public void AddOption(CoapOption option)
    {
        int index = _options.Count;
        while (index > 0 && _options[index - 1].Number > option.Number)
        {
            index--;
        }
        _options.Insert(index, option);
    }

    public void AddOption(ushort number, string value) => AddOption(CoapOption.FromString(number, value));

    public void SetOption(CoapOption option)
    {
        RemoveOptions(option.Number);
        AddOption(option);
    }

    public void SetUIntOption(ushort number, uint value) => SetOption(CoapOption.FromUInt(number, value));

    public int RemoveOptions(ushort number) => _options.RemoveAll(o => o.Number == number);

    public bool HasOption(ushort number)
    {
        foreach (var option in _options)
        {
            if (option.Number == number)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The first occurrence of a non-repeatable option, if it is within its length bounds (RFC 7252 §5.4.3).</summary>
    public bool TryGetOption(ushort number, out CoapOption option)
    {
        foreach (var o in _options)
        {
            if (o.Number == number)
            {
                option = o;
                return CoapOptionRegistry.IsRecognized(number, o.Value.Length, isRepeat: false);
            }
        }
        option = default;
        return false;
    }

    public bool TryGetUInt(ushort number, out uint value)
    {
        if (TryGetOption(number, out var option))
        {
            value = option.GetUInt();
            return true;
        }
        value = 0;
        return false;
    }

    public ushort? ContentFormat
    {
        get => TryGetUInt(CoapOptionNumber.ContentFormat, out uint v) ? (ushort)v : null;
        set
        {
            RemoveOptions(CoapOptionNumber.ContentFormat);
            if (value is { } v)
            {
                SetUIntOption(CoapOptionNumber.ContentFormat, v);
            }
        }
    }

    public CoapBlockOption? Block1
    {
        get => GetBlock(CoapOptionNumber.Block1);
        set => SetBlock(CoapOptionNumber.Block1, value);
    }

    public CoapBlockOption? Block2
    {
        get => GetBlock(CoapOptionNumber.Block2);
        set => SetBlock(CoapOptionNumber.Block2, value);
    }

    private CoapBlockOption? GetBlock(ushort number) =>
        TryGetUInt(number, out uint raw) && CoapBlockOption.TryDecode(raw, out var block) ? block : null;

    private void SetBlock(ushort number, CoapBlockOption? block)
    {
        RemoveOptions(number);
        if (block is { } b)
        {
            SetUIntOption(number, b.Encode());
        }
    }

    public List<string> GetStrings(ushort number)
    {
        var result = new List<string>();
        foreach (var option in _options)
        {
            if (option.Number == number)
            {
                result.Add(option.GetString());
            }
        }
        return result;
    }

    /// <summary>The Uri-Path segments joined with '/', without a leading slash ("" for the root).</summary>
    public string UriPath => string.Join('/', GetStrings(CoapOptionNumber.UriPath));

    /// <summary>
    /// The first option a recipient must treat as an unrecognized critical option (RFC 7252 §5.4.1), or -1.
    /// Unknown numbers, out-of-bounds lengths and repeats of non-repeatable options all count.
    /// </summary>
    public int FindUnrecognizedCriticalOption()
    {
        int previous = -1;
        foreach (var option in _options)
        {
            bool repeat = option.Number == previous;
            previous = option.Number;
            if (CoapOptionNumber.IsCritical(option.Number) &&
                !CoapOptionRegistry.IsRecognized(option.Number, option.Value.Length, repeat))
            {
                return option.Number;
            }
        }
        return -1;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(Type).Append(' ').Append(Code).Append(" MID=").Append(MessageId)
          .Append(" token=").Append(Convert.ToHexString(Token.Span));
        foreach (var option in _options)
        {
            sb.Append(' ').Append(option.Number).Append(':').Append(option.Value.Length).Append('B');
        }
        return sb.Append(" payload=").Append(Payload.Length).Append('B').ToString();
    }
}

/// <summary>The Block1/Block2 option value of RFC 7959 §2.2: NUM, M and SZX.</summary>
public readonly record struct CoapBlockOption(uint Number, bool More, int SizeExponent)
{
    public const uint MaxNumber = (1u << 20) - 1;

    public int Size => 1 << (SizeExponent + 4);

    public long Offset => (long)Number << (SizeExponent + 4);

    public uint Encode() => (Number << 4) | (More ? 8u : 0u) | (uint)SizeExponent;

    /// <summary>Fails for SZX 7, which is reserved (RFC 7959 §2.2).</summary>
    public static bool TryDecode(uint value, out CoapBlockOption block)
    {
        int szx = (int)(value & 7);
        block = new CoapBlockOption(value >> 4, (value & 8) != 0, szx);
        return szx != 7;
    }

    /// <summary>The SZX for a block size; sizes that are not a power of two round down, clamped to 16..1024.</summary>
    public static int SizeExponentFor(int blockSize)
    {
        int szx = 0;
        while (szx < 6 && 1 << (szx + 5) <= blockSize)
        {
            szx++;
        }
        return szx;
    }
}

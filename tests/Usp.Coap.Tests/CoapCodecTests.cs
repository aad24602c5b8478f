using Usp.Agent.Coap;

namespace Usp.Coap.Tests;

public class CoapCodecTests
{
    private static CoapMessage Decode(byte[] datagram)
    {
        Assert.Equal(CoapFormatError.None, CoapMessage.TryDecode(datagram, out var message));
        return message!;
    }

    [Fact]
    public void Header_token_options_and_payload_round_trip()
    {
        var original = new CoapMessage
        {
            Type = CoapMessageType.Confirmable,
            Code = CoapCode.FromMethod(CoapMethod.Post),
            MessageId = 0xBEEF,
            Token = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 },
            Payload = new byte[] { 0xFF, 0x00, 0x42 },
        };
        original.AddOption(CoapOptionNumber.UriQuery, "reply-to=127.0.0.1:5683/c");
        original.AddOption(CoapOptionNumber.UriPath, "e");
        original.AddOption(CoapOptionNumber.UriPath, "agent");
        original.ContentFormat = CoapContentFormat.OctetStream;

        var decoded = Decode(original.ToArray());

        Assert.Equal(CoapMessageType.Confirmable, decoded.Type);
        Assert.Equal(CoapCode.FromMethod(CoapMethod.Post), decoded.Code);
        Assert.Equal(0xBEEF, decoded.MessageId);
        Assert.Equal(original.Token.ToArray(), decoded.Token.ToArray());
        Assert.Equal("e/agent", decoded.UriPath);
        Assert.Equal(["reply-to=127.0.0.1:5683/c"], decoded.GetStrings(CoapOptionNumber.UriQuery));
        Assert.Equal((ushort)42, decoded.ContentFormat);
        Assert.Equal(original.Payload.ToArray(), decoded.Payload.ToArray());
        Assert.Equal(original.ToArray(), decoded.ToArray());
    }

    [Fact]
    public void Empty_ack_is_exactly_four_bytes()
    {
        var ack = new CoapMessage { Type = CoapMessageType.Acknowledgement, MessageId = 7 };
        Assert.Equal(new byte[] { 0x60, 0x00, 0x00, 0x07 }, ack.ToArray());
    }

    public static TheoryData<ushort, int> EveryOptionAtItsLengthBounds()
    {
        var data = new TheoryData<ushort, int>();
        foreach (var d in CoapOptionRegistry.All)
        {
            data.Add(d.Number, d.MinLength);
            if (d.MaxLength != d.MinLength)
            {
                data.Add(d.Number, d.MaxLength);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryOptionAtItsLengthBounds))]
    public void Every_option_round_trips_at_its_length_bounds_and_is_recognized(ushort number, int length)
    {
        var value = Enumerable.Range(0, length).Select(i => (byte)('a' + (i % 26))).ToArray();
        var message = new CoapMessage { Type = CoapMessageType.NonConfirmable, Code = CoapCode.Content, MessageId = 1 };
        message.AddOption(new CoapOption(number, value));

        var decoded = Decode(message.ToArray());

        var option = Assert.Single(decoded.Options);
        Assert.Equal(number, option.Number);
        Assert.Equal(value, option.Value.ToArray());
        Assert.Equal(-1, decoded.FindUnrecognizedCriticalOption());
        Assert.True(CoapOptionRegistry.IsRecognized(number, length, isRepeat: false));
    }

    [Theory]
    [MemberData(nameof(EveryOptionAtItsLengthBounds))]
    public void Every_option_one_byte_outside_its_bounds_is_treated_as_unrecognized(ushort number, int length)
    {
        CoapOptionRegistry.TryGet(number, out var d);
        int outside = length == d.MaxLength ? d.MaxLength + 1 : d.MinLength - 1;
        if (outside < 0)
        {
            outside = d.MaxLength + 1;
        }
        var message = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.FromMethod(CoapMethod.Get), MessageId = 1 };
        message.AddOption(new CoapOption(number, new byte[outside]));

        var decoded = Decode(message.ToArray());

        Assert.False(CoapOptionRegistry.IsRecognized(number, outside, isRepeat: false));
        // §5.4.3: an out-of-bounds critical option is an unrecognized critical option; an elective one is ignored.
        Assert.Equal(CoapOptionNumber.IsCritical(number) ? number : -1, decoded.FindUnrecognizedCriticalOption());
        Assert.False(decoded.TryGetOption(number, out _));
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(12, 12)]
    [InlineData(13, 13)]
    [InlineData(268, 268)]
    [InlineData(269, 269)]
    [InlineData(1000, 3000)]
    [InlineData(65535, 65535)]
    public void Option_delta_and_length_extensions_round_trip(int number, int length)
    {
        var message = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.Content, MessageId = 2 };
        message.AddOption(new CoapOption(1, new byte[] { 9 }));
        message.AddOption(new CoapOption((ushort)number, Enumerable.Repeat((byte)0x5A, length).ToArray()));
        message.Payload = new byte[] { 1 };

        var bytes = message.ToArray();
        var decoded = Decode(bytes);

        Assert.Equal(bytes.Length, message.GetEncodedLength());
        Assert.Equal(2, decoded.Options.Count);
        Assert.Equal(number, decoded.Options.Max(o => o.Number));
        Assert.Equal(length, decoded.Options.Single(o => o.Number == number && o.Value.Length == length).Value.Length);
        Assert.Equal(new byte[] { 1 }, decoded.Payload.ToArray());
    }

    [Fact]
    public void Options_added_out_of_order_are_encoded_in_ascending_order_keeping_repeat_order()
    {
        var message = new CoapMessage { Code = CoapCode.FromMethod(CoapMethod.Get) };
        message.AddOption(CoapOptionNumber.UriQuery, "a=1");
        message.AddOption(CoapOptionNumber.UriPath, "x");
        message.AddOption(CoapOptionNumber.UriHost, "h");
        message.AddOption(CoapOptionNumber.UriPath, "y");

        var decoded = Decode(message.ToArray());

        Assert.Equal([3, 11, 11, 15], decoded.Options.Select(o => (int)o.Number));
        Assert.Equal("x/y", decoded.UriPath);
    }

    public static TheoryData<string, byte[], CoapFormatError> MalformedDatagrams() => new()
    {
        { "empty datagram", [], CoapFormatError.TooShort },
        { "three bytes", [0x40, 0x01, 0x00], CoapFormatError.TooShort },
        { "version 2", [0x80, 0x01, 0x00, 0x01], CoapFormatError.UnsupportedVersion },
        { "version 0", [0x00, 0x01, 0x00, 0x01], CoapFormatError.UnsupportedVersion },
        { "token length 9", [0x49, 0x01, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9], CoapFormatError.TokenLengthReserved },
        { "token length 15", [0x4F, 0x01, 0x00, 0x01], CoapFormatError.TokenLengthReserved },
        { "truncated token", [0x44, 0x01, 0x00, 0x01, 1, 2], CoapFormatError.Truncated },
        { "option delta 15", [0x40, 0x01, 0x00, 0x01, 0xF1, 0x00], CoapFormatError.OptionDeltaReserved },
        { "option length 15", [0x40, 0x01, 0x00, 0x01, 0xBF], CoapFormatError.OptionLengthReserved },
        { "truncated option value", [0x40, 0x01, 0x00, 0x01, 0xB5, (byte)'a'], CoapFormatError.Truncated },
        { "truncated 1-byte delta extension", [0x40, 0x01, 0x00, 0x01, 0xD0], CoapFormatError.Truncated },
        { "truncated 2-byte delta extension", [0x40, 0x01, 0x00, 0x01, 0xE0, 0x01], CoapFormatError.Truncated },
        { "truncated 2-byte length extension", [0x40, 0x01, 0x00, 0x01, 0x1E, 0x01], CoapFormatError.Truncated },
        { "option number beyond 65535", [0x40, 0x01, 0x00, 0x01, 0xE0, 0xFE, 0xF3, 0xE0, 0xFE, 0xF3], CoapFormatError.OptionNumberOverflow },
        { "payload marker without payload", [0x40, 0x01, 0x00, 0x01, 0xFF], CoapFormatError.PayloadMarkerWithoutPayload },
        { "empty message with token", [0x41, 0x00, 0x00, 0x01, 0x07], CoapFormatError.EmptyMessageNotEmpty },
        { "empty message with payload", [0x60, 0x00, 0x00, 0x01, 0xFF, 0x01], CoapFormatError.EmptyMessageNotEmpty },
        { "reserved class 1", [0x40, 0x21, 0x00, 0x01], CoapFormatError.ReservedCodeClass },
        { "reserved class 7", [0x40, 0xE0, 0x00, 0x01], CoapFormatError.ReservedCodeClass },
    };

    [Theory]
    [MemberData(nameof(MalformedDatagrams))]
    public void Malformed_datagrams_are_reported_with_the_precise_error(string description, byte[] datagram, CoapFormatError expected)
    {
        Assert.NotNull(description);
        Assert.Equal(expected, CoapMessage.TryDecode(datagram, out var message));
        Assert.Null(message);
    }

    [Fact]
    public void Header_of_a_malformed_message_still_yields_type_and_message_id_for_a_reset()
    {
        byte[] datagram = [0x40, 0x01, 0x12, 0x34, 0xF1];
        Assert.Equal(CoapFormatError.None, CoapHeader.TryRead(datagram, out var header));
        Assert.Equal(CoapMessageType.Confirmable, header.Type);
        Assert.Equal(0x1234, header.MessageId);
        Assert.NotEqual(CoapFormatError.None, CoapMessage.TryDecode(datagram, out _));
    }

    [Fact]
    public void Unknown_critical_option_is_found_and_unknown_elective_is_not()
    {
        var message = new CoapMessage { Code = CoapCode.FromMethod(CoapMethod.Get) };
        message.AddOption(new CoapOption(2048, new byte[] { 1 })); // elective, unknown
        Assert.Equal(-1, message.FindUnrecognizedCriticalOption());
        message.AddOption(new CoapOption(2049, new byte[] { 1 })); // critical, unknown
        Assert.Equal(2049, message.FindUnrecognizedCriticalOption());
    }

    [Fact]
    public void Repeated_non_repeatable_critical_option_is_unrecognized()
    {
        var message = new CoapMessage { Code = CoapCode.FromMethod(CoapMethod.Get) };
        message.AddOption(CoapOption.FromString(CoapOptionNumber.UriHost, "a"));
        Assert.Equal(-1, message.FindUnrecognizedCriticalOption());
        message.AddOption(CoapOption.FromString(CoapOptionNumber.UriHost, "b"));
        Assert.Equal(CoapOptionNumber.UriHost, message.FindUnrecognizedCriticalOption());
    }

    [Theory]
    [InlineData(0u, 0)]
    [InlineData(1u, 1)]
    [InlineData(255u, 1)]
    [InlineData(256u, 2)]
    [InlineData(65535u, 2)]
    [InlineData(65536u, 3)]
    [InlineData(16777216u, 4)]
    [InlineData(uint.MaxValue, 4)]
    public void UInt_options_use_minimal_length_and_round_trip(uint value, int length)
    {
        var option = CoapOption.FromUInt(CoapOptionNumber.Size1, value);
        Assert.Equal(length, option.Value.Length);
        Assert.Equal(value, option.GetUInt());
    }

    [Fact]
    public void UInt_with_leading_zero_bytes_reads_the_same_value()
    {
        Assert.Equal(42u, CoapUInt.Read([0, 0, 42]));
    }

    [Theory]
    [InlineData(0u, false, 0)]
    [InlineData(1u, true, 6)]
    [InlineData(15u, true, 2)]
    [InlineData(16u, false, 4)]
    [InlineData(4095u, true, 5)]
    [InlineData(CoapBlockOption.MaxNumber, false, 6)]
    public void Block_option_round_trips_num_more_and_szx(uint number, bool more, int szx)
    {
        var block = new CoapBlockOption(number, more, szx);
        var message = new CoapMessage { Code = CoapCode.FromMethod(CoapMethod.Post) };
        message.Block1 = block;
        message.Block2 = block;

        var decoded = Decode(message.ToArray());

        Assert.Equal(block, decoded.Block1);
        Assert.Equal(block, decoded.Block2);
        Assert.Equal((long)number * (16 << szx), block.Offset);
    }

    [Fact]
    public void Block_option_with_reserved_szx_7_is_rejected()
    {
        Assert.False(CoapBlockOption.TryDecode(0x17, out _));
    }

    [Theory]
    [InlineData(16, 0)]
    [InlineData(64, 2)]
    [InlineData(1024, 6)]
    [InlineData(4096, 6)]
    [InlineData(100, 2)]
    public void Block_size_maps_to_szx_clamped_to_16_through_1024(int size, int szx)
    {
        Assert.Equal(szx, CoapBlockOption.SizeExponentFor(size));
    }

    [Fact]
    public void Reader_walks_options_without_building_a_message()
    {
        var message = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.FromMethod(CoapMethod.Get), MessageId = 5, Token = new byte[] { 0xAA } };
        message.AddOption(CoapOptionNumber.UriPath, "a");
        message.AddOption(CoapOptionNumber.UriPath, "bc");
        message.Payload = new byte[] { 9, 9 };
        var reader = new CoapMessageReader(message.ToArray());

        Assert.Equal(CoapFormatError.None, reader.Error);
        Assert.Equal(new byte[] { 0xAA }, reader.Token.ToArray());
        Assert.True(reader.TryReadOption(out ushort n1, out var v1));
        Assert.Equal((CoapOptionNumber.UriPath, "a"), (n1, System.Text.Encoding.UTF8.GetString(v1)));
        Assert.True(reader.TryReadOption(out ushort n2, out var v2));
        Assert.Equal((CoapOptionNumber.UriPath, "bc"), (n2, System.Text.Encoding.UTF8.GetString(v2)));
        Assert.False(reader.TryReadOption(out _, out _));
        Assert.Equal(CoapFormatError.None, reader.Error);
        Assert.Equal(new byte[] { 9, 9 }, reader.Payload.ToArray());
    }

    [Fact]
    public void Reading_and_writing_options_allocates_nothing()
    {
        var message = new CoapMessage { Type = CoapMessageType.Confirmable, Code = CoapCode.FromMethod(CoapMethod.Post), MessageId = 5, Token = new byte[8] };
        for (int i = 0; i < 10; i++)
        {
            message.AddOption(CoapOptionNumber.UriPath, "segment" + i);
        }
        message.SetUIntOption(CoapOptionNumber.Block1, 0x1E);
        message.Payload = new byte[512];
        byte[] datagram = message.ToArray();
        var destination = new byte[datagram.Length];
        int Walk()
        {
            var reader = new CoapMessageReader(datagram);
            var writer = new CoapMessageWriter(destination);
            writer.WriteHeader(reader.Header.Type, reader.Header.Code, reader.Header.MessageId, reader.Token);
            int count = 0;
            while (reader.TryReadOption(out ushort number, out var value))
            {
                writer.WriteOption(number, value);
                count++;
            }
            writer.WritePayload(reader.Payload);
            return count;
        }
        Walk();

        long before = GC.GetAllocatedBytesForCurrentThread();
        int options = Walk();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(11, options);
        Assert.Equal(0, allocated);
        Assert.Equal(datagram, destination);
    }

    [Fact]
    public void Writer_refuses_a_buffer_that_is_too_small()
    {
        var message = new CoapMessage { Code = CoapCode.Content, Payload = new byte[100] };
        Assert.Throws<ArgumentException>(() => message.Encode(new byte[50]));
    }
}

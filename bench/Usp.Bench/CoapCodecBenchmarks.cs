using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Usp.Agent.Coap;

namespace Usp.Bench;

/// <summary>
/// The CoAP codec alone (RFC 7252): a USP POST as a Controller sends it (CON, 8-byte token, Uri-Path e/&lt;EndpointID&gt;,
/// Content-Format 42, a reply-to Uri-Query, a 200-byte Record) encoded, decoded into a message, and read option by
/// option without allocating (what the agent's receive path does first).
///   dotnet run -c Release --project bench/Usp.Bench -- --filter '*CoapCodec*'
/// </summary>
[MemoryDiagnoser]
public class CoapCodecBenchmarks
{
    private readonly byte[] _buffer = new byte[1500];
    private CoapMessage _message = null!;
    private byte[] _datagram = [];

    [GlobalSetup]
    public void Setup()
    {
        _message = new CoapMessage
        {
            Type = CoapMessageType.Confirmable,
            Code = new CoapCode((byte)CoapMethod.Post),
            MessageId = 0x1234,
            Token = RandomNumberGenerator.GetBytes(8),
            Payload = RandomNumberGenerator.GetBytes(200),
        };
        _message.AddOption(CoapOptionNumber.UriPath, "e");
        _message.AddOption(CoapOptionNumber.UriPath, "proto::bench-agent");
        _message.SetUIntOption(CoapOptionNumber.ContentFormat, CoapContentFormat.OctetStream);
        _message.AddOption(CoapOptionNumber.UriQuery, "reply-to=coap://127.0.0.1:40123/ctrl");
        _datagram = _message.ToArray();
    }

    [Benchmark]
    public int Encode() => _message.Encode(_buffer);

    [Benchmark]
    public CoapMessage? Decode()
    {
        CoapMessage.TryDecode(_datagram, out CoapMessage? message);
        return message;
    }

    [Benchmark(Description = "read header and options in place")]
    public int ReadInPlace()
    {
        var reader = new CoapMessageReader(_datagram);
        int total = reader.Token.Length;
        while (reader.TryReadOption(out ushort number, out ReadOnlySpan<byte> value))
        {
            total += number + value.Length;
        }

        return total;
    }
}

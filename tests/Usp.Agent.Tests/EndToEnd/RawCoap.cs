using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Usp.Agent.Dtls;

namespace Usp.Agent.Tests.EndToEnd;

/// <summary>One CoAP datagram, encoded and decoded here by hand (RFC 7252 §3), independent of the agent's codec.</summary>
internal sealed record RawCoapMessage(byte Type, byte Code, ushort MessageId, byte[] Token, List<(int Number, byte[] Value)> Options, byte[] Payload)
{
    public const byte Con = 0, Non = 1, Ack = 2, Rst = 3;
    public const int UriPath = 11, ContentFormat = 12, UriQuery = 15, Block1 = 27, Size1 = 60;

    public string CodeText => $"{Code >> 5}.{Code & 0x1F:D2}";

    public IEnumerable<string> Strings(int number) => Options.Where(o => o.Number == number).Select(o => Encoding.UTF8.GetString(o.Value));

    public uint? UInt(int number) =>
        Options.Where(o => o.Number == number).Select(o => (uint?)o.Value.Aggregate(0u, (acc, b) => (acc << 8) | b)).FirstOrDefault();

    public static byte[] Uint(uint value)
    {
        var bytes = new List<byte>();
        for (; value > 0; value >>= 8)
        {
            bytes.Insert(0, (byte)value);
        }

        return [.. bytes];
    }

    public byte[] Encode()
    {
        var bytes = new List<byte> { (byte)(0x40 | (Type << 4) | Token.Length), Code, (byte)(MessageId >> 8), (byte)MessageId };
        bytes.AddRange(Token);
        int previous = 0;
        foreach ((int number, byte[] value) in Options.OrderBy(o => o.Number))
        {
            int delta = number - previous;
            previous = number;
            (int deltaNibble, byte[] deltaExt) = Extended(delta);
            (int lengthNibble, byte[] lengthExt) = Extended(value.Length);
            bytes.Add((byte)((deltaNibble << 4) | lengthNibble));
            bytes.AddRange(deltaExt);
            bytes.AddRange(lengthExt);
            bytes.AddRange(value);
        }

        if (Payload.Length > 0)
        {
            bytes.Add(0xFF);
            bytes.AddRange(Payload);
        }

        return [.. bytes];
    }

    public static RawCoapMessage Decode(byte[] datagram)
    {
        int tokenLength = datagram[0] & 0x0F;
        int position = 4 + tokenLength;
        var options = new List<(int, byte[])>();
        int number = 0;
        while (position < datagram.Length && datagram[position] != 0xFF)
        {
            int deltaNibble = datagram[position] >> 4;
            int lengthNibble = datagram[position] & 0x0F;
            position++;
            int delta = ReadExtended(deltaNibble, datagram, ref position);
            int length = ReadExtended(lengthNibble, datagram, ref position);
            number += delta;
            options.Add((number, datagram[position..(position + length)]));
            position += length;
        }

        byte[] payload = position < datagram.Length ? datagram[(position + 1)..] : [];
        return new RawCoapMessage((byte)((datagram[0] >> 4) & 3), datagram[1], (ushort)((datagram[2] << 8) | datagram[3]),
            datagram[4..(4 + tokenLength)], options, payload);
    }

    /// <summary>A POST to <paramref name="path"/> with the given queries and Content-Format.</summary>
    public static RawCoapMessage Request(byte code, ushort messageId, string path, IEnumerable<string> queries, uint? contentFormat, byte[] payload)
    {
        var options = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(s => (UriPath, Encoding.UTF8.GetBytes(s))).ToList();
        if (contentFormat is { } format)
        {
            options.Add((ContentFormat, Uint(format)));
        }

        options.AddRange(queries.Select(q => (UriQuery, Encoding.UTF8.GetBytes(q))));
        return new RawCoapMessage(Con, code, messageId, [0x5A, (byte)messageId], options, payload);
    }

    private static (int Nibble, byte[] Extension) Extended(int value) => value switch
    {
        < 13 => (value, []),
        < 269 => (13, [(byte)(value - 13)]),
        _ => (14, [(byte)((value - 269) >> 8), (byte)(value - 269)]),
    };

    private static int ReadExtended(int nibble, byte[] data, ref int position)
    {
        switch (nibble)
        {
            case 13:
                return data[position++] + 13;
            case 14:
                int value = ((data[position] << 8) | data[position + 1]) + 269;
                position += 2;
                return value;
            default:
                return nibble;
        }
    }
}

/// <summary>
/// A bare UDP socket on loopback that speaks CoAP by hand: the test decides what to answer, and when. Over coaps
/// (<see cref="Coaps"/>) the datagrams go through a DTLS session of our transport with a Controller certificate;
/// the agent answers at the coaps reply-to over the same session.
/// </summary>
internal sealed class RawCoapPeer : IAsyncDisposable
{
    private readonly UdpClient? _udp;
    private readonly DtlsCoapTransport? _dtls;
    private readonly Channel<(byte[] Datagram, IPEndPoint From)> _received = Channel.CreateUnbounded<(byte[], IPEndPoint)>();

    public RawCoapPeer()
    {
        _udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
    }

    private RawCoapPeer(DtlsCoapTransport dtls)
    {
        _dtls = dtls;
        _dtls.Start((datagram, peer) => _received.Writer.TryWrite((datagram.ToArray(), peer.EndPoint)));
    }

    /// <summary>A peer over DTLS with this certificate, expecting the agent's certificate to name <paramref name="agentId"/>.</summary>
    public static RawCoapPeer Coaps(string certificate, string key, string trustStore, string agentId)
    {
        var dtls = DtlsCoapTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0), Dtls.DtlsTestPki.Security(certificate, key, trustStore),
            new DtlsSessionSettings(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        dtls.ClientTargetFor = peer => new DtlsClientTarget(peer.Address.ToString(), agentId);
        return new RawCoapPeer(dtls);
    }

    public int Port => _dtls?.LocalEndPoint.Port ?? ((IPEndPoint)_udp!.Client.LocalEndPoint!).Port;

    public string ReplyTo => $"{(_dtls is null ? "coap" : "coaps")}://127.0.0.1:{Port}/raw";

    public Task SendAsync(RawCoapMessage message, int port) => SendAsync(message.Encode(), new IPEndPoint(IPAddress.Loopback, port));

    public Task ReplyAsync(RawCoapMessage to, IPEndPoint peer, byte code, params (int Number, byte[] Value)[] options) =>
        SendAsync(new RawCoapMessage(RawCoapMessage.Ack, code, to.MessageId, to.Token, [.. options], []).Encode(), peer);

    private async Task SendAsync(byte[] datagram, IPEndPoint to)
    {
        if (_dtls is null)
        {
            await _udp!.SendAsync(datagram, to);
            return;
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _dtls.SendAsync(datagram, to, cts.Token);
    }

    public async Task<(RawCoapMessage Message, IPEndPoint From)> ReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            if (_dtls is not null)
            {
                var (datagram, from) = await _received.Reader.ReadAsync(cts.Token);
                return (RawCoapMessage.Decode(datagram), from);
            }

            UdpReceiveResult result = await _udp!.ReceiveAsync(cts.Token);
            return (RawCoapMessage.Decode(result.Buffer), result.RemoteEndPoint);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no datagram within {timeout.TotalSeconds} s");
        }
    }

    /// <summary>Receives a request POSTed to us (all its Block1 blocks, each acknowledged); returns the body and the block count.</summary>
    public async Task<(byte[] Body, int Blocks, RawCoapMessage First)> ReceivePostAsync(TimeSpan timeout)
    {
        var upload = new Block1Upload();
        while (true)
        {
            (RawCoapMessage message, IPEndPoint from) = await ReceiveAsync(timeout);
            if (message.Code != 2)
            {
                continue; // not a POST (an ACK of something we sent, say)
            }

            bool complete = upload.Add(message);
            await AcknowledgePostAsync(message, from);
            if (complete)
            {
                return (upload.TakeBody(), upload.Blocks, upload.First!);
            }
        }
    }

    /// <summary>Acknowledges a POST or one block of it: 2.31 Continue while its Block1 says more follow, else 2.04 (echoing Block1).</summary>
    public Task AcknowledgePostAsync(RawCoapMessage post, IPEndPoint from)
    {
        var echo = post.UInt(RawCoapMessage.Block1) is { } block1 ? new[] { (RawCoapMessage.Block1, RawCoapMessage.Uint(block1)) } : [];
        return ReplyAsync(post, from, Block1Upload.MoreFollow(post) ? (byte)0x5F : (byte)0x44, echo);
    }

    public async ValueTask DisposeAsync()
    {
        _udp?.Dispose();
        if (_dtls is not null)
        {
            await _dtls.DisposeAsync();
        }
    }
}

/// <summary>
/// The blocks of a POST sent to us, as they arrive (RFC 7959 Block1): a repeated block (a retransmission) is not added
/// twice, and block 0 starts the body over.
/// </summary>
internal sealed class Block1Upload
{
    private readonly List<byte> _body = [];
    private uint _next;

    /// <summary>The first POST taken.</summary>
    public RawCoapMessage? First { get; private set; }

    /// <summary>POSTs taken, repeats included.</summary>
    public int Blocks { get; private set; }

    public static bool MoreFollow(RawCoapMessage post) => post.UInt(RawCoapMessage.Block1) is { } block1 && (block1 & 0x8) != 0;

    /// <summary>Takes one POST; true when it was the body's last block, added now.</summary>
    public bool Add(RawCoapMessage post)
    {
        First ??= post;
        Blocks++;
        uint number = (post.UInt(RawCoapMessage.Block1) ?? 0) >> 4;
        if (number == 0)
        {
            _body.Clear();
            _next = 0;
        }

        if (number != _next)
        {
            return false;
        }

        _body.AddRange(post.Payload);
        _next++;
        return !MoreFollow(post);
    }

    /// <summary>The body, and a fresh start for the next one.</summary>
    public byte[] TakeBody()
    {
        byte[] body = [.. _body];
        _body.Clear();
        _next = 0;
        return body;
    }
}

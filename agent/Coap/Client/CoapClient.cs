using System.Buffers;
using System.Net;

namespace Usp.Agent.Coap;

/// <summary>
/// CoAP client over a <see cref="CoapEndpoint"/>: sends large bodies with Block1 (adapting to a smaller
/// block size the server asks for) and fetches large responses with Block2.
/// </summary>
public sealed class CoapClient(CoapEndpoint endpoint)
{
    public CoapEndpoint Endpoint { get; } = endpoint ?? throw new ArgumentNullException(nameof(endpoint));

    /// <summary>
    /// Sends the request and returns the final response (any code). Delivery failures throw
    /// <see cref="CoapTimeoutException"/> (no ACK / no response) or <see cref="CoapResetException"/> (peer sent RST);
    /// a broken block-wise transfer throws <see cref="CoapProtocolException"/>.
    /// </summary>
    public async Task<CoapResponse> SendAsync(CoapRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = Endpoint.Options;
        // One token for every block of the transfer: some servers (node-coap) key reassembly by token.
        var token = CoapEndpoint.NewToken();
        var peer = new CoapPeer(request.Destination);
        CoapMessage response = request.Payload.Length > options.PreferredBlockSize
            ? await SendBlock1Async(request, peer, token, cancellationToken).ConfigureAwait(false)
            : await Endpoint.SendRequestAsync(WithPayload(request, request.Payload, token), peer, request.ContinueOnReceiveThread, cancellationToken).ConfigureAwait(false);

        var payload = response.Payload;
        if (response.Block2 is { More: true } first && response.Code.IsSuccess)
        {
            (response, payload) = await FetchBlock2Async(request, peer, token, response, first, cancellationToken).ConfigureAwait(false);
        }
        return new CoapResponse(response.Code, payload, response.ContentFormat)
        {
            Options = response.Options,
            Source = request.Destination,
            Message = response,
        };
    }

    private static CoapMessage WithPayload(CoapRequest request, ReadOnlyMemory<byte> payload, byte[] token)
    {
        var message = request.ToMessage();
        message.Payload = payload;
        message.Token = token;
        return message;
    }

    private async Task<CoapMessage> SendBlock1Async(CoapRequest request, CoapPeer peer, byte[] token, CancellationToken cancellationToken)
    {
        var body = request.Payload;
        int szx = Endpoint.Options.PreferredSizeExponent;
        int offset = 0;
        while (true)
        {
            int size = 1 << (szx + 4);
            int take = Math.Min(size, body.Length - offset);
            bool more = offset + take < body.Length;
            var message = WithPayload(request, body.Slice(offset, take), token);
            message.Block1 = new CoapBlockOption((uint)(offset / size), more, szx);
            if (offset == 0)
            {
                message.SetUIntOption(CoapOptionNumber.Size1, (uint)body.Length);
            }
            var response = await Endpoint.SendRequestAsync(message, peer, request.ContinueOnReceiveThread, cancellationToken).ConfigureAwait(false);
            if (!more || response.Code != CoapCode.Continue)
            {
                // The final response, or an error (4.08, 4.13 with Size1, ...) the caller should see.
                return response;
            }
            if (response.Block1 is not { } acknowledged)
            {
                throw new CoapProtocolException("2.31 Continue without a Block1 option");
            }
            offset += take;
            // RFC 7959 §2.5: the server may ask for smaller blocks; later NUMs count in the new size.
            if (acknowledged.SizeExponent < szx)
            {
                szx = acknowledged.SizeExponent;
            }
        }
    }

    private async Task<(CoapMessage Last, ReadOnlyMemory<byte> Body)> FetchBlock2Async(CoapRequest request, CoapPeer peer, byte[] token, CoapMessage first,
        CoapBlockOption block, CancellationToken cancellationToken)
    {
        int max = Endpoint.Options.MaxReassembledSize;
        if (first.TryGetUInt(CoapOptionNumber.Size2, out uint size2) && size2 > (uint)max)
        {
            throw new CoapProtocolException($"Response of {size2} bytes exceeds the {max}-byte limit");
        }
        var body = new ArrayBufferWriter<byte>(Math.Max(first.Payload.Length * 2, 64));
        body.Write(first.Payload.Span);
        var last = first;
        while (block.More)
        {
            var next = request.ToMessage();
            next.Token = token;
            next.Block2 = new CoapBlockOption(block.Number + 1, false, block.SizeExponent);
            last = await Endpoint.SendRequestAsync(next, peer, request.ContinueOnReceiveThread, cancellationToken).ConfigureAwait(false);
            if (!last.Code.IsSuccess)
            {
                return (last, last.Payload);
            }
            if (last.Block2 is not { } got || got.Offset != body.WrittenCount)
            {
                throw new CoapProtocolException("Block2 response out of sequence");
            }
            if (body.WrittenCount + last.Payload.Length > max)
            {
                throw new CoapProtocolException($"Response exceeds the {max}-byte limit");
            }
            body.Write(last.Payload.Span);
            block = got;
        }
        return (last, body.WrittenMemory);
    }
}

using System.Net;

namespace Usp.Agent.Coap;

/// <summary>A response: what a resource handler returns, and what <see cref="CoapClient"/> hands back.</summary>
public sealed class CoapResponse
{
    public CoapResponse(CoapCode code, ReadOnlyMemory<byte> payload = default, ushort? contentFormat = null)
    {
        Code = code;
        Payload = payload;
        ContentFormat = contentFormat;
    }

    public CoapCode Code { get; }

    public ReadOnlyMemory<byte> Payload { get; init; }

    public ushort? ContentFormat { get; init; }

    /// <summary>Further options to send (e.g. Location-Path, Max-Age). Content-Format and Block options are set by the stack.</summary>
    public IReadOnlyList<CoapOption> Options { get; init; } = [];

    /// <summary>For a received response: the peer that sent it.</summary>
    public IPEndPoint? Source { get; init; }

    /// <summary>For a received response: the last message of the exchange.</summary>
    public CoapMessage? Message { get; init; }

    public bool IsSuccess => Code.IsSuccess;

    internal CoapMessage ToMessage()
    {
        var message = new CoapMessage { Code = Code, Payload = Payload };
        foreach (var option in Options)
        {
            if (option.Number is not (CoapOptionNumber.ContentFormat or CoapOptionNumber.Block1 or CoapOptionNumber.Block2 or CoapOptionNumber.Size2))
            {
                message.AddOption(option);
            }
        }
        message.ContentFormat = ContentFormat;
        return message;
    }
}

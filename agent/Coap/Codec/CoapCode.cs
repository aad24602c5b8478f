namespace Usp.Agent.Coap;

/// <summary>The two-bit message type of RFC 7252 §3.</summary>
public enum CoapMessageType : byte
{
    Confirmable = 0,
    NonConfirmable = 1,
    Acknowledgement = 2,
    Reset = 3,
}

/// <summary>Request methods (code class 0) of RFC 7252 §12.1.1.</summary>
public enum CoapMethod : byte
{
    Get = 1,
    Post = 2,
    Put = 3,
    Delete = 4,
}

/// <summary>An 8-bit CoAP code, "c.dd": three bits of class, five bits of detail.</summary>
public readonly record struct CoapCode(byte Value)
{
    public static CoapCode Empty => new(0);
    public static CoapCode Created => FromParts(2, 1);
    public static CoapCode Deleted => FromParts(2, 2);
    public static CoapCode Valid => FromParts(2, 3);
    public static CoapCode Changed => FromParts(2, 4);
    public static CoapCode Content => FromParts(2, 5);
    public static CoapCode Continue => FromParts(2, 31);
    public static CoapCode BadRequest => FromParts(4, 0);
    public static CoapCode Unauthorized => FromParts(4, 1);
    public static CoapCode BadOption => FromParts(4, 2);
    public static CoapCode Forbidden => FromParts(4, 3);
    public static CoapCode NotFound => FromParts(4, 4);
    public static CoapCode MethodNotAllowed => FromParts(4, 5);
    public static CoapCode NotAcceptable => FromParts(4, 6);
    public static CoapCode RequestEntityIncomplete => FromParts(4, 8);
    public static CoapCode PreconditionFailed => FromParts(4, 12);
    public static CoapCode RequestEntityTooLarge => FromParts(4, 13);
    public static CoapCode UnsupportedContentFormat => FromParts(4, 15);
    public static CoapCode InternalServerError => FromParts(5, 0);
    public static CoapCode NotImplemented => FromParts(5, 1);
    public static CoapCode BadGateway => FromParts(5, 2);
    public static CoapCode ServiceUnavailable => FromParts(5, 3);
    public static CoapCode GatewayTimeout => FromParts(5, 4);
    public static CoapCode ProxyingNotSupported => FromParts(5, 5);

    public static CoapCode FromMethod(CoapMethod method) => new((byte)method);

    public static CoapCode FromParts(int codeClass, int detail)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)codeClass, 7u);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)detail, 31u);
        return new((byte)((codeClass << 5) | detail));
    }

    public int Class => Value >> 5;
    public int Detail => Value & 0x1F;
    public bool IsEmpty => Value == 0;
    public bool IsRequest => Class == 0 && Value != 0;
    public bool IsResponse => Class is 2 or 4 or 5;
    public bool IsSuccess => Class == 2;

    /// <summary>Classes 1, 6 and 7 are reserved (RFC 7252 §12.1); a message using one is malformed.</summary>
    public bool IsReservedClass => Class is 1 or 6 or 7;

    public override string ToString() => $"{Class}.{Detail:D2}";
}

/// <summary>Option numbers of RFC 7252 §5.10, RFC 7959 and RFC 7641.</summary>
public static class CoapOptionNumber
{
    public const ushort IfMatch = 1;
    public const ushort UriHost = 3;
    public const ushort ETag = 4;
    public const ushort IfNoneMatch = 5;
    public const ushort Observe = 6;
    public const ushort UriPort = 7;
    public const ushort LocationPath = 8;
    public const ushort UriPath = 11;
    public const ushort ContentFormat = 12;
    public const ushort MaxAge = 14;
    public const ushort UriQuery = 15;
    public const ushort Accept = 17;
    public const ushort LocationQuery = 20;
    public const ushort Block2 = 23;
    public const ushort Block1 = 27;
    public const ushort Size2 = 28;
    public const ushort ProxyUri = 35;
    public const ushort ProxyScheme = 39;
    public const ushort Size1 = 60;

    /// <summary>Odd option numbers are critical (RFC 7252 §5.4.1).</summary>
    public static bool IsCritical(int number) => (number & 1) != 0;
}

/// <summary>Content-Format identifiers used by this stack (RFC 7252 §12.3).</summary>
public static class CoapContentFormat
{
    public const ushort TextPlain = 0;
    public const ushort LinkFormat = 40;
    public const ushort OctetStream = 42;
}

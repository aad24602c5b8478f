using Usp.Proto;

namespace Usp.DataModel.Records;

/// <summary>
/// Tells from a Record's bytes alone, without decoding its Msg, whether it asks only for a read-only request (Get,
/// GetInstances, GetSupportedDM, GetSupportedProtocol: the requests <see cref="Handlers.MessageDispatcher"/> handles
/// outside any transaction). An MTP uses it to answer those on its receive thread. The engine answers a Msg whose
/// body is not the request its header names with an error, so the header's msg_type is enough. Anything unusual (a
/// session context, an unknown wire type, a truncated field) is not read-only.
/// </summary>
/// <remarks>
/// A shortcut, kept here, beside the engine that decodes the Msg afterwards, so that the wire layout and the list of
/// read-only requests live in one place. Its worth, measured when the CoAP MTP started handling read-only Records on
/// its receive thread (README, "Read-only Records on the receive thread"): paced Get round trip 111.5 → 76.8 µs of
/// CPU, saturated 56.6 → 48.1 µs. Peeking costs no allocation; decoding the Msg twice would allocate it twice.
/// </remarks>
public static class ReadOnlyRequestPeek
{
    private const int MsgHeaderField = 1; // Msg.header
    private const int HeaderMsgTypeField = 2; // Header.msg_type

    public static bool IsReadOnlyRequest(Record record)
    {
        if (record.RecordTypeCase != Record.RecordTypeOneofCase.NoSessionContext ||
            !TryReadMsgType(record.NoSessionContext.Payload.Span, out ulong type))
        {
            return false;
        }

        return type is (ulong)Header.Types.MsgType.Get or (ulong)Header.Types.MsgType.GetInstances
            or (ulong)Header.Types.MsgType.GetSupportedDm or (ulong)Header.Types.MsgType.GetSupportedProto;
    }

    /// <summary>The msg_type as protobuf merges it: the last one in any header field; absent is 0 (ERROR).</summary>
    internal static bool TryReadMsgType(ReadOnlySpan<byte> msg, out ulong type)
    {
        type = 0;
        while (!msg.IsEmpty)
        {
            if (!TryReadField(ref msg, out int field, out int wireType, out ulong varint, out ReadOnlySpan<byte> bytes))
            {
                return false;
            }

            if (field != MsgHeaderField || wireType != 2)
            {
                continue;
            }

            while (!bytes.IsEmpty)
            {
                if (!TryReadField(ref bytes, out int headerField, out int headerWireType, out ulong value, out _))
                {
                    return false;
                }

                if (headerField == HeaderMsgTypeField && headerWireType == 0)
                {
                    type = value;
                }
            }
        }

        return true;
    }

    internal static bool TryReadField(ref ReadOnlySpan<byte> data, out int field, out int wireType, out ulong varint, out ReadOnlySpan<byte> bytes)
    {
        field = 0;
        wireType = 0;
        varint = 0;
        bytes = default;
        if (!TryReadVarint(ref data, out ulong tag) || tag >> 3 is 0 or > int.MaxValue)
        {
            return false;
        }

        field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        switch (wireType)
        {
            case 0:
                return TryReadVarint(ref data, out varint);
            case 1:
                return TrySkip(ref data, 8);
            case 2:
                if (!TryReadVarint(ref data, out ulong length) || length > (ulong)data.Length)
                {
                    return false;
                }

                bytes = data[..(int)length];
                data = data[(int)length..];
                return true;
            case 5:
                return TrySkip(ref data, 4);
            default:
                return false; // groups (3, 4) and reserved types: not worth the receive thread
        }
    }

    private static bool TrySkip(ref ReadOnlySpan<byte> data, int count)
    {
        if (data.Length < count)
        {
            return false;
        }

        data = data[count..];
        return true;
    }

    private static bool TryReadVarint(ref ReadOnlySpan<byte> data, out ulong value)
    {
        value = 0;
        for (int i = 0; i < 10 && i < data.Length; i++)
        {
            value |= (ulong)(data[i] & 0x7F) << (7 * i);
            if ((data[i] & 0x80) == 0)
            {
                data = data[(i + 1)..];
                return true;
            }
        }

        return false;
    }
}

using Google.Protobuf;
using Usp.Proto;

namespace Usp.Agent.ControllerSide;

/// <summary>no_session_context Records for the command line's requests, and the Msg out of an answer.</summary>
internal static class UspRecords
{
    public const string Version = "1.4";

    public static Record Wrap(Msg msg, string fromId, string toId) => new()
    {
        Version = Version,
        FromId = fromId,
        ToId = toId,
        NoSessionContext = new NoSessionContextRecord { Payload = msg.ToByteString() },
    };

    /// <summary>The Msg a no_session_context Record carries, or null when it carries none that decodes.</summary>
    public static Msg? TryUnwrap(Record record)
    {
        if (record.RecordTypeCase != Record.RecordTypeOneofCase.NoSessionContext)
        {
            return null;
        }

        try
        {
            return Msg.Parser.ParseFrom(record.NoSessionContext.Payload);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    public static string NewMsgId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}

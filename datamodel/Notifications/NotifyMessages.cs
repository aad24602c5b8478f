using Usp.Proto;

namespace Usp.DataModel.Notifications;

/// <summary>Builds the Notify Msgs (the session layer wraps them in Records when they are sent).</summary>
internal sealed class NotifyMessages
{
    // A per-start prefix keeps msg_ids unique across restarts without a stored counter. Guid's first eight hex
    // digits are random, and unlike RandomNumberGenerator it does not load OpenSSL into an agent that runs without DTLS.
    private readonly string _prefix = "notify-" + Guid.NewGuid().ToString("N")[..8] + "-";
    private long _next;

    public string NextMsgId() => _prefix + Interlocked.Increment(ref _next).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static Msg Msg(string msgId, Notify notify) => new()
    {
        Header = new Header { MsgId = msgId, MsgType = Header.Types.MsgType.Notify },
        Body = new Body { Request = new Request { Notify = notify } },
    };

    public static Notify ValueChange(string subscriptionId, bool sendResp, string path, string value) => new()
    {
        SubscriptionId = subscriptionId,
        SendResp = sendResp,
        ValueChange = new Notify.Types.ValueChange { ParamPath = path, ParamValue = value },
    };

    public static Notify ObjectCreation(string subscriptionId, bool sendResp, string path, IReadOnlyDictionary<string, string> keys)
    {
        var creation = new Notify.Types.ObjectCreation { ObjPath = path };
        foreach (var (k, v) in keys)
            creation.UniqueKeys[k] = v;
        return new Notify { SubscriptionId = subscriptionId, SendResp = sendResp, ObjCreation = creation };
    }

    public static Notify ObjectDeletion(string subscriptionId, bool sendResp, string path) => new()
    {
        SubscriptionId = subscriptionId,
        SendResp = sendResp,
        ObjDeletion = new Notify.Types.ObjectDeletion { ObjPath = path },
    };

    public static Notify Event(string subscriptionId, bool sendResp, string objPath, string eventName, IReadOnlyDictionary<string, string> args)
    {
        var ev = new Notify.Types.Event { ObjPath = objPath, EventName = eventName };
        foreach (var (k, v) in args)
            ev.Params[k] = v;
        return new Notify { SubscriptionId = subscriptionId, SendResp = sendResp, Event = ev };
    }

    public static Notify OperationComplete(string subscriptionId, bool sendResp, OperationCompletion completion)
    {
        var oc = new Notify.Types.OperationComplete
        {
            ObjPath = completion.ObjPath,
            CommandName = completion.CommandName,
            CommandKey = completion.CommandKey,
        };
        if (completion.Outcome.Failed)
            oc.CmdFailure = new Notify.Types.OperationComplete.Types.CommandFailure { ErrCode = completion.Outcome.ErrorCode, ErrMsg = completion.Outcome.ErrorMessage };
        else
        {
            oc.ReqOutputArgs = new Notify.Types.OperationComplete.Types.OutputArgs();
            foreach (var (k, v) in completion.Outcome.OutputArgs)
                oc.ReqOutputArgs.OutputArgs_[k] = v;
        }
        return new Notify { SubscriptionId = subscriptionId, SendResp = sendResp, OperComplete = oc };
    }

    public static Notify OnBoardRequest(string oui, string productClass, string serialNumber, string versions) => new()
    {
        SubscriptionId = "",
        SendResp = true,
        OnBoardReq = new Notify.Types.OnBoardRequest
        {
            Oui = oui,
            ProductClass = productClass,
            SerialNumber = serialNumber,
            AgentSupportedProtocolVersions = versions,
        },
    };
}

/// <summary>An asynchronous command that finished, for OperationComplete notifications.</summary>
/// <param name="ObjPath">The object the command ran on, e.g. <c>Device.</c>.</param>
/// <param name="CommandName">e.g. <c>ScheduleTimer()</c>.</param>
internal sealed record OperationCompletion(string ObjPath, string CommandName, string CommandKey, string Originator, Operations.CommandOutcome Outcome);

using Usp.DataModel.Security;
using Usp.DataModel.Store;
using Usp.Proto;

namespace Usp.DataModel.Handlers;

/// <summary>
/// Routes a request Msg to its handler inside one transaction (for Set, Add and Delete) and builds
/// the response Msg. Returns null when nothing must be sent back (responses from the Controller).
/// </summary>
internal sealed class MessageDispatcher(DataModelStore store, IAccessPolicy access, TimeProvider time, IEngineLog log, int maxPathsPerMessage)
{
    private readonly GetHandler _get = new();
    private readonly SetHandler _set = new();
    private readonly AddHandler _add = new();
    private readonly DeleteHandler _delete = new();
    private readonly GetInstancesHandler _getInstances = new();
    private readonly GetSupportedDmHandler _getSupportedDm = new();
    private readonly GetSupportedProtocolHandler _getSupportedProtocol = new();

    /// <summary>Runs Operate requests (absent: Operate is answered with 7001).</summary>
    public Operations.OperateHandler? Operate { get; init; }
    /// <summary>Receives Response and Error Msgs from Controllers (e.g. NotifyResp), which get no answer.</summary>
    public Action<string, Msg>? ResponseReceived { get; init; }

    public Msg? Dispatch(Msg msg, RequestingController controller)
    {
        var header = msg.Header;
        if (msg.Body?.MsgBodyCase is Body.MsgBodyOneofCase.Response or Body.MsgBodyOneofCase.Error && ResponseReceived is { } onResponse)
        {
            onResponse(controller.EndpointId, msg);
            return null;
        }
        if (msg.Body?.MsgBodyCase != Body.MsgBodyOneofCase.Request)
        {
            log.Info($"{controller.EndpointId} sent a {msg.Body?.MsgBodyCase.ToString() ?? "body-less"} message {header.MsgId} ({header.MsgType}); nothing to answer.");
            return null;
        }
        var request = msg.Body.Request;
        var body = DispatchRequest(header, request, controller);
        // R-OPR.4: send_resp false means no OperateResp (failures are still reported).
        if (request.ReqTypeCase == Request.ReqTypeOneofCase.Operate && !request.Operate.SendResp && body.MsgBodyCase == Body.MsgBodyOneofCase.Response
            && body.Response.OperateResp.OperationResults.All(r => r.OperationRespCase != OperateResp.Types.OperationResult.OperationRespOneofCase.CmdFailure))
            return null;
        return new Msg
        {
            Header = new Header { MsgId = header.MsgId, MsgType = body.MsgBodyCase == Body.MsgBodyOneofCase.Error ? Header.Types.MsgType.Error : ResponseType(header.MsgType) },
            Body = body,
        };
    }

    private Body DispatchRequest(Header header, Request request, RequestingController controller)
    {
        var expected = request.ReqTypeCase switch
        {
            Request.ReqTypeOneofCase.Get => Header.Types.MsgType.Get,
            Request.ReqTypeOneofCase.Set => Header.Types.MsgType.Set,
            Request.ReqTypeOneofCase.Add => Header.Types.MsgType.Add,
            Request.ReqTypeOneofCase.Delete => Header.Types.MsgType.Delete,
            Request.ReqTypeOneofCase.GetInstances => Header.Types.MsgType.GetInstances,
            Request.ReqTypeOneofCase.GetSupportedDm => Header.Types.MsgType.GetSupportedDm,
            Request.ReqTypeOneofCase.GetSupportedProtocol => Header.Types.MsgType.GetSupportedProto,
            Request.ReqTypeOneofCase.Operate => Header.Types.MsgType.Operate,
            Request.ReqTypeOneofCase.Notify => Header.Types.MsgType.Notify,
            Request.ReqTypeOneofCase.Register => Header.Types.MsgType.Register,
            Request.ReqTypeOneofCase.Deregister => Header.Types.MsgType.Deregister,
            _ => (Header.Types.MsgType?)null,
        };
        if (expected is null)
            return UspErrors.Body(ErrorCodes.InvalidArguments, "The request body is empty.");
        if (header.MsgType != expected)
            return UspErrors.Body(ErrorCodes.InvalidArguments, $"The header says {header.MsgType} but the body is a {expected} request.");
        int paths = request.ReqTypeCase switch
        {
            Request.ReqTypeOneofCase.Get => request.Get.ParamPaths.Count,
            Request.ReqTypeOneofCase.Set => request.Set.UpdateObjs.Count + request.Set.UpdateObjs.Sum(u => u.ParamSettings.Count),
            Request.ReqTypeOneofCase.Add => request.Add.CreateObjs.Count + request.Add.CreateObjs.Sum(c => c.ParamSettings.Count),
            Request.ReqTypeOneofCase.Delete => request.Delete.ObjPaths.Count,
            Request.ReqTypeOneofCase.GetInstances => request.GetInstances.ObjPaths.Count,
            Request.ReqTypeOneofCase.GetSupportedDm => request.GetSupportedDm.ObjPaths.Count,
            _ => 0,
        };
        if (paths > maxPathsPerMessage)
            return UspErrors.Body(ErrorCodes.ResourcesExceeded, $"The request has {paths} paths and settings; this agent handles at most {maxPathsPerMessage} per message. Split it into several messages.");

        try
        {
            return Handle(request, controller);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            log.Error($"Handling {request.ReqTypeCase} {header.MsgId} from {controller.EndpointId} failed: {ex}");
            return UspErrors.Body(ErrorCodes.InternalError, $"The agent failed internally while handling this {request.ReqTypeCase}; nothing was changed.");
        }
    }

    private Body Handle(Request request, RequestingController controller)
    {
        switch (request.ReqTypeCase)
        {
            case Request.ReqTypeOneofCase.Get:
                return _get.Handle(request.Get, Context(controller, null));
            case Request.ReqTypeOneofCase.GetInstances:
                return _getInstances.Handle(request.GetInstances, Context(controller, null));
            case Request.ReqTypeOneofCase.GetSupportedDm:
                return _getSupportedDm.Handle(request.GetSupportedDm, Context(controller, null));
            case Request.ReqTypeOneofCase.GetSupportedProtocol:
                return _getSupportedProtocol.Handle(request.GetSupportedProtocol, Context(controller, null));
            case Request.ReqTypeOneofCase.Set:
                return InTransaction(controller, ctx => _set.Handle(request.Set, ctx));
            case Request.ReqTypeOneofCase.Add:
                return InTransaction(controller, ctx => _add.Handle(request.Add, ctx));
            case Request.ReqTypeOneofCase.Delete:
                return InTransaction(controller, ctx => _delete.Handle(request.Delete, ctx));
            case Request.ReqTypeOneofCase.Operate when Operate is { } operate:
                return InTransaction(controller, ctx => operate.Handle(request.Operate, ctx));
            default:
                return UspErrors.Body(ErrorCodes.MessageNotSupported, $"This agent does not handle {request.ReqTypeCase} requests.");
        }
    }

    private RequestContext Context(RequestingController controller, DmTransaction? tx) => new(controller, store, access, time, log, tx);

    /// <summary>One SQLite transaction per message: an Error rolls everything back, a response commits it.</summary>
    private Body InTransaction(RequestingController controller, Func<RequestContext, Body> handle)
    {
        var tx = store.Begin(controller.EndpointId);
        Body body;
        try
        {
            body = handle(Context(controller, tx));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            tx.RollbackTo(0);
            throw;
        }
        if (body.MsgBodyCase == Body.MsgBodyOneofCase.Error)
        {
            tx.RollbackTo(0);
            return body;
        }
        if (!store.Commit(tx, out var error))
            return UspErrors.Body(ErrorCodes.InternalError, error!);
        return body;
    }

    private static Header.Types.MsgType ResponseType(Header.Types.MsgType request) => request switch
    {
        Header.Types.MsgType.Get => Header.Types.MsgType.GetResp,
        Header.Types.MsgType.Set => Header.Types.MsgType.SetResp,
        Header.Types.MsgType.Add => Header.Types.MsgType.AddResp,
        Header.Types.MsgType.Delete => Header.Types.MsgType.DeleteResp,
        Header.Types.MsgType.GetInstances => Header.Types.MsgType.GetInstancesResp,
        Header.Types.MsgType.GetSupportedDm => Header.Types.MsgType.GetSupportedDmResp,
        Header.Types.MsgType.GetSupportedProto => Header.Types.MsgType.GetSupportedProtoResp,
        Header.Types.MsgType.Operate => Header.Types.MsgType.OperateResp,
        Header.Types.MsgType.Notify => Header.Types.MsgType.NotifyResp,
        _ => Header.Types.MsgType.Error,
    };
}

using Usp.Agent.ControllerSide;
using Usp.Agent.Hosting;
using Usp.Agent.Hosting.LocalAdmin;
using Usp.DataModel;
using Usp.DataModel.Records;
using Usp.Proto;

namespace Usp.Agent.EngineHost;

/// <summary>
/// A data-model verb of the command line answered by the engine itself, as a full-access local Controller:
/// in the running agent (through the admin socket) or, with no agent running, on the database directly.
/// </summary>
internal static class LocalDataModelRequests
{
    public static LocalAdminResponse Execute(UspEngine engine, string localEndpointId, LocalAdminRequest request)
    {
        Msg msg = UspRequests.Build(request.Verb, request.Arguments, UspRecords.NewMsgId("local"));
        RecordResult result = engine.HandleRecord(UspRecords.Wrap(msg, localEndpointId, engine.EndpointId), SenderIdentity.Unauthenticated);
        if (result.Dropped)
        {
            return LocalAdminResponse.Text(ExitCodes.Failure, $"usp-agent {request.Verb}: the engine refused the request ({result.DropCode}: {result.DropReason})");
        }

        if (result.Responses.Count == 0 || UspRecords.TryUnwrap(result.Responses[0]) is not { } answer)
        {
            return LocalAdminResponse.Text(ExitCodes.Failure, $"usp-agent {request.Verb}: the engine gave no answer");
        }

        FormattedResponse formatted = UspResponseFormatter.Format(answer, request.Json);
        return new LocalAdminResponse(formatted.Succeeded ? ExitCodes.Success : ExitCodes.Failure, request.Json, formatted.Body);
    }
}

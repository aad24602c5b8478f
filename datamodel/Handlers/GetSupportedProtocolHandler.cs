using Usp.Proto;

namespace Usp.DataModel.Handlers;

/// <summary>GetSupportedProtocol: the USP versions whose Agent-side messages this engine implements.</summary>
internal sealed class GetSupportedProtocolHandler
{
    /// <summary>
    /// 1.3 and 1.4 only: the engine implements their Get/Set/Add/Delete/GetInstances/GetSupportedDM
    /// semantics (unique keys in AddResp, GetSupportedDM value types, writeOnceReadOnly, empty
    /// oper_success for unmatched searches); older versions' differing semantics are not emulated.
    /// </summary>
    public const string Versions = "1.3,1.4";

    public Body Handle(GetSupportedProtocol request, RequestContext ctx) => new()
    {
        Response = new Response
        {
            GetSupportedProtocolResp = new GetSupportedProtocolResp { AgentSupportedProtocolVersions = Versions },
        },
    };
}

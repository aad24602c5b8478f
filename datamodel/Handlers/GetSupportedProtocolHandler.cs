using Usp.Proto;

namespace Usp.DataModel.Handlers;

/// <summary>GetSupportedProtocol: the USP versions whose Agent-side messages this engine implements.</summary>
internal sealed class GetSupportedProtocolHandler
{
    public const string Versions = UspProtocol.SupportedVersions;

    public Body Handle(GetSupportedProtocol request, RequestContext ctx) => new()
    {
        Response = new Response
        {
            GetSupportedProtocolResp = new GetSupportedProtocolResp { AgentSupportedProtocolVersions = Versions },
        },
    };
}

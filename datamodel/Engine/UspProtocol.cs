namespace Usp.DataModel;

/// <summary>Protocol facts of this engine that the host prints and the handlers report.</summary>
public static class UspProtocol
{
    /// <summary>
    /// The USP versions whose Agent-side semantics the engine implements (1.3 and 1.4: unique keys in
    /// AddResp, GetSupportedDM value types, writeOnceReadOnly, empty oper_success for unmatched
    /// searches). Records of older versions still decode; their differing semantics are not emulated.
    /// </summary>
    public const string SupportedVersions = "1.3,1.4";
}

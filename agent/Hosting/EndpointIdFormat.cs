namespace Usp.Agent.Hosting;

/// <summary>The shape of a USP Endpoint ID: <c>authority-scheme::authority-id</c> (TR-369, Endpoint Identifier).</summary>
internal static class EndpointIdFormat
{
    public const string Requirement = "a USP Endpoint ID of the form authority-scheme::authority-id, such as proto::agent-1";

    public static bool IsValid(string endpointId)
    {
        int separator = endpointId.IndexOf("::", StringComparison.Ordinal);
        return separator > 0
            && separator + 2 < endpointId.Length
            && !endpointId.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));
    }
}

namespace Usp.Agent.Coap;

/// <summary>Builders for the response messages the stack generates itself.</summary>
internal static class CoapResponses
{
    public static CoapMessage Error(CoapCode code, string diagnostic) => new()
    {
        Code = code,
        Payload = System.Text.Encoding.UTF8.GetBytes(diagnostic), // diagnostic payload (§5.5.2)
    };
}

namespace Usp.Agent.Coap;

/// <summary>One link attribute (RFC 6690 §3): rendered name="value", or name=value when the value is numeric.</summary>
public readonly record struct CoapLinkAttribute(string Name, string? Value)
{
    internal void AppendTo(System.Text.StringBuilder sb)
    {
        sb.Append(';').Append(Name);
        if (Value is null)
        {
            return;
        }
        bool numeric = Value.Length > 0 && Value.All(char.IsAsciiDigit);
        if (numeric)
        {
            sb.Append('=').Append(Value);
        }
        else
        {
            sb.Append("=\"").Append(Value.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append('"');
        }
    }
}

namespace Usp.Agent.Coap;

/// <summary>Transmission parameters (RFC 7252 §4.8) and block-wise limits. Defaults are the RFC defaults.</summary>
public sealed class CoapEndpointOptions
{
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    public double AckRandomFactor { get; set; } = 1.5;

    public int MaxRetransmit { get; set; } = 4;

    /// <summary>Outstanding interactions per peer (RFC 7252 §4.7).</summary>
    public int NStart { get; set; } = 1;

    public TimeSpan MaxLatency { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>How long a handler may take before the request is acknowledged with an empty ACK and answered separately.</summary>
    public TimeSpan SeparateResponseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a client waits for a separate response after the empty ACK; null means EXCHANGE_LIFETIME.</summary>
    public TimeSpan? SeparateResponseTimeout { get; set; }

    /// <summary>Bound on remembered message IDs per lifetime window, so a flood cannot grow memory without limit.</summary>
    public int MaxDeduplicationEntries { get; set; } = 8192;

    /// <summary>
    /// Run resource handlers on the receive path instead of the thread pool: for handlers that only queue work
    /// (the USP MTP's) and for deterministic tests. A handler that blocks would then stall every peer.
    /// </summary>
    public bool RunHandlersInline { get; set; }

    /// <summary>Block size for Block1 uploads we send and Block2 responses we serve (16..1024, power of two).</summary>
    public int PreferredBlockSize { get; set; } = 1024;

    /// <summary>Largest body reassembled from blocks, in either direction.</summary>
    public int MaxReassembledSize { get; set; } = 5 * 1024 * 1024;

    public int MaxConcurrentReassembliesPerPeer { get; set; } = 4;

    public int MaxConcurrentReassemblies { get; set; } = 64;

    /// <summary>Bytes held by all unfinished Block1 transfers together; beyond it new blocks get 5.03.</summary>
    public long MaxTotalReassemblyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Optional diagnostics sink; the library never writes to the console.</summary>
    public Action<string>? Log { get; set; }

    public TimeSpan ProcessingDelay => AckTimeout;

    public TimeSpan MaxTransmitSpan => AckTimeout * (((1 << MaxRetransmit) - 1) * AckRandomFactor);

    /// <summary>EXCHANGE_LIFETIME: 247 s with the defaults.</summary>
    public TimeSpan ExchangeLifetime => MaxTransmitSpan + (2 * MaxLatency) + ProcessingDelay;

    /// <summary>NON_LIFETIME: 145 s with the defaults.</summary>
    public TimeSpan NonLifetime => MaxTransmitSpan + MaxLatency;

    internal int PreferredSizeExponent => CoapBlockOption.SizeExponentFor(PreferredBlockSize);

    internal void Validate()
    {
        if (AckTimeout <= TimeSpan.Zero || AckRandomFactor < 1.0 || MaxRetransmit is < 0 or > 20 || NStart < 1 ||
            PreferredBlockSize < 16 || MaxReassembledSize < 1 || MaxConcurrentReassembliesPerPeer < 1 ||
            MaxConcurrentReassemblies < 1 || MaxDeduplicationEntries < 1 || MaxTotalReassemblyBytes < 1)
        {
            throw new ArgumentException("Invalid CoAP endpoint options.");
        }
    }
}

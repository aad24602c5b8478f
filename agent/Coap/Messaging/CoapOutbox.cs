namespace Usp.Agent.Coap;

/// <summary>
/// Where every layer of an endpoint sends from: the transport, with a failed send logged as a lost datagram
/// (retransmission, ours or the peer's, covers it), and the endpoint's message IDs.
/// </summary>
internal sealed class CoapOutbox(ICoapTransport transport, Action<string>? log)
{
    private readonly CancellationTokenSource _shutdown = new();
    private int _messageId = Random.Shared.Next(ushort.MaxValue + 1);

    public Action<string>? Log => log;

    /// <summary>Cancelled when the endpoint shuts down.</summary>
    public CancellationToken Stopping => _shutdown.Token;

    public ushort NextMessageId() => (ushort)Interlocked.Increment(ref _messageId);

    public void Send(byte[] datagram, CoapPeer peer)
    {
        try
        {
            var sending = transport.SendAsync(datagram, peer, _shutdown.Token);
            if (!sending.IsCompletedSuccessfully)
            {
                _ = ObserveAsync(sending, peer);
            }
        }
        catch (Exception e)
        {
            log?.Invoke($"coap: send to {peer} failed: {e.Message}");
        }
    }

    private async Task ObserveAsync(ValueTask sending, CoapPeer peer)
    {
        try
        {
            await sending.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            log?.Invoke($"coap: send to {peer} failed: {e.Message}");
        }
    }

    public Task StopAsync() => _shutdown.CancelAsync();
}

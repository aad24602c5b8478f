namespace Usp.Tests.Support;

/// <summary>
/// A <see cref="UdpRelay"/> hook that impairs a link as <c>tc qdisc netem</c> would (for kernels without sch_netem):
/// each datagram, either way, is lost with <see cref="Loss"/>, else delayed by <see cref="Delay"/> ± <see cref="Jitter"/>
/// (uniform, so later datagrams overtake earlier ones) and sent twice with <see cref="Duplication"/>, each copy with
/// its own delay. <see cref="Down"/> loses everything (the peer away). Seeded; one instance may serve several relays.
/// </summary>
internal sealed class LinkImpairment(int seed)
{
    private readonly Random _random = new(seed);
    private readonly Lock _gate = new();

    public double Loss { get; set; } = 0.30;

    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan Jitter { get; set; } = TimeSpan.FromMilliseconds(50);

    public double Duplication { get; set; } = 0.10;

    public bool Down { get; set; }

    public RelayHook Hook => (_, _, _) =>
    {
        lock (_gate)
        {
            if (Down || _random.NextDouble() < Loss)
            {
                return UdpRelay.Drop;
            }

            var copies = new TimeSpan[_random.NextDouble() < Duplication ? 2 : 1];
            for (int i = 0; i < copies.Length; i++)
            {
                copies[i] = Delay + (((2 * _random.NextDouble()) - 1) * Jitter);
            }

            return copies;
        }
    };
}

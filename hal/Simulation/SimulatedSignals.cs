namespace Usp.Hal.Simulation;

/// <summary>
/// Deterministic, slowly varying physical values for the simulated chips: a slow sine per quantity (period of
/// minutes, phase from the seed) plus a small seeded wobble that changes once a second, so the same seed and the
/// same clock give the same readings. A test can pin a quantity with <see cref="Override"/>.
/// </summary>
public sealed class SimulatedSignals(int seed, TimeProvider time)
{
    private readonly DateTimeOffset _start = time.GetUtcNow();
    private readonly Dictionary<string, double> _overrides = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The value of <paramref name="quantity"/> now: <paramref name="center"/> ± <paramref name="amplitude"/>.</summary>
    public double Value(string quantity, double center, double amplitude, double periodSeconds)
    {
        lock (_gate)
        {
            if (_overrides.TryGetValue(quantity, out double pinned))
                return pinned;
        }
        double t = (time.GetUtcNow() - _start).TotalSeconds;
        int hash = StableHash(quantity) ^ seed;
        double phase = (hash & 0xFFFF) / 65536.0 * 2 * Math.PI;
        double wobble = (Mix(hash, (long)Math.Floor(t)) - 0.5) * amplitude * 0.02;
        return center + amplitude * Math.Sin(2 * Math.PI * t / periodSeconds + phase) + wobble;
    }

    /// <summary>Pins a quantity to a value (null: back to the signal), e.g. to drive a reading past an alarm.</summary>
    public void Override(string quantity, double? value)
    {
        lock (_gate)
        {
            if (value is { } v)
                _overrides[quantity] = v;
            else
                _overrides.Remove(quantity);
        }
    }

    private static int StableHash(string s)
    {
        unchecked
        {
            int h = (int)2166136261;
            foreach (char c in s)
                h = (h ^ c) * 16777619;
            return h;
        }
    }

    /// <summary>A number in [0, 1) from a key and a step, the same on every run.</summary>
    private static double Mix(int key, long step)
    {
        ulong x = unchecked((ulong)key * 0x9E3779B97F4A7C15UL ^ (ulong)step * 0xBF58476D1CE4E5B9UL);
        x ^= x >> 31;
        x *= 0x94D049BB133111EBUL;
        x ^= x >> 29;
        return (x >> 11) / (double)(1UL << 53);
    }
}

using Usp.DataModel.Schema;

namespace Usp.DataModel.Store;

/// <summary>
/// Supplies the rows of a computed table: a read-only table whose instances come from a provider on read (the
/// device's processes, say) and are never stored. Before it handles a message that reads such a table the engine calls
/// <see cref="Refresh"/> off its lock; under the lock it shows <see cref="Current"/> for the whole message.
/// </summary>
public interface IComputedRowSource
{
    /// <summary>The rows as last sampled, in instance-number order. Read under the engine lock: no I/O here.</summary>
    ComputedRowSet Current { get; }

    /// <summary>True when <see cref="Current"/> is older than the source's freshness window, or was never sampled.</summary>
    bool IsStale { get; }

    /// <summary>Samples again when stale. Runs off the engine lock and may read files; safe to call from several threads.</summary>
    void Refresh();
}

/// <summary>One sampling of a computed table. Each sampling is a new object: the engine tells them apart by reference.</summary>
public sealed class ComputedRowSet(IReadOnlyList<ComputedRow> rows)
{
    public static ComputedRowSet Empty { get; } = new([]);

    /// <summary>The rows, each instance number once, in ascending order.</summary>
    public IReadOnlyList<ComputedRow> Rows { get; } = rows;
}

/// <summary>A computed row: its instance number and the provider's data that its getters read (<see cref="DmObject.RowData"/>).</summary>
public readonly record struct ComputedRow(int InstanceNumber, object Data);

/// <summary>
/// A computed row source over keyed samples. Each key (a process's PID with its start time) keeps its instance number
/// for as long as it is sampled; a number is never handed out again while the agent runs (R-ARC.8's rule for stored
/// tables). The provider is sampled at most once per freshness window, however many requests come in it.
/// </summary>
public abstract class KeyedRowSource<TKey, TData> : IComputedRowSource
    where TKey : notnull
    where TData : class
{
    private readonly Lock _sampling = new();
    private readonly TimeProvider _time;
    private readonly long _freshnessTimestamps;
    private Dictionary<TKey, int> _numbers = [];
    private int _next = 1;
    private volatile ComputedRowSet _current = ComputedRowSet.Empty;
    private long _freshUntil = long.MinValue;

    protected KeyedRowSource(TimeSpan freshness, TimeProvider? time)
    {
        _time = time ?? TimeProvider.System;
        _freshnessTimestamps = (long)(freshness.TotalSeconds * _time.TimestampFrequency);
    }

    public ComputedRowSet Current => _current;

    public bool IsStale => _time.GetTimestamp() >= Volatile.Read(ref _freshUntil);

    public void Refresh()
    {
        if (!IsStale)
            return;
        lock (_sampling)
        {
            if (!IsStale)
                return; // another thread sampled while this one waited
            var numbers = new Dictionary<TKey, int>(_numbers.Count + 8);
            var rows = new List<ComputedRow>(_numbers.Count + 8);
            foreach (var (key, data) in Sample())
            {
                if (numbers.ContainsKey(key))
                    continue;
                if (!_numbers.TryGetValue(key, out int number))
                    number = _next++;
                numbers[key] = number;
                rows.Add(new ComputedRow(number, data));
            }
            rows.Sort(static (a, b) => a.InstanceNumber.CompareTo(b.InstanceNumber));
            _numbers = numbers;
            _current = new ComputedRowSet(rows);
            Volatile.Write(ref _freshUntil, _time.GetTimestamp() + _freshnessTimestamps);
        }
    }

    /// <summary>Reads the rows now (off the engine lock); a key seen twice counts once.</summary>
    protected abstract IEnumerable<(TKey Key, TData Data)> Sample();

    /// <summary>The data of the row a getter reads; null on an object that is not one of this source's rows.</summary>
    public static TData? DataOf(ParamReadContext context) => context.Instance.RowData as TData;
}

namespace Usp.DataModel.Store;

/// <summary>
/// The changes of one USP message. Changes apply to the in-memory tree at once (so later steps
/// of the same message see them) and are logged so they can be undone to a savepoint, or written
/// to the database in one SQLite transaction on commit.
/// </summary>
public sealed class DmTransaction
{
    private readonly DataModelTree _tree;
    private readonly List<TxEntry> _entries = [];

    internal DmTransaction(DataModelTree tree, string? controllerEndpointId)
    {
        _tree = tree;
        ControllerEndpointId = controllerEndpointId;
    }

    public string? ControllerEndpointId { get; }
    internal IReadOnlyList<TxEntry> Entries => _entries;
    internal bool IsEmpty => _entries.Count == 0;

    public int Savepoint() => _entries.Count;

    /// <summary>Undoes every change made after <paramref name="savepoint"/>.</summary>
    public void RollbackTo(int savepoint)
    {
        for (int i = _entries.Count - 1; i >= savepoint; i--)
        {
            switch (_entries[i])
            {
                case ValueSet v:
                    if (v.HadOld)
                        v.Object.Store(v.Name, v.OldValue);
                    else
                        v.Object.Unstore(v.Name);
                    break;
                case RowAdded a:
                    _tree.Detach(a.Table, a.Row);
                    a.Table.NextInstance = a.PreviousNext;
                    break;
                case RowDeleted d:
                    _tree.Attach(d.Table, d.Row);
                    break;
            }
        }
        _entries.RemoveRange(savepoint, _entries.Count - savepoint);
    }

    public void SetValue(DmObject obj, string name, string value)
    {
        bool hadOld = obj.StoredValues.TryGetValue(name, out var old);
        obj.Store(name, value);
        _entries.Add(new ValueSet(obj, name, hadOld, old ?? "", value));
    }

    /// <summary>Creates a row with the next free instance number, or <paramref name="number"/> when given.</summary>
    public DmObject AddRow(DmTable table, int? number = null)
    {
        if (table.Schema.RowSource is not null)
            throw new InvalidOperationException($"{table.Path} is a computed table; its rows are never stored.");
        int previousNext = table.NextInstance;
        int n = number ?? table.NextInstance;
        var row = _tree.CreateRow(table, n);
        _tree.Attach(table, row);
        table.NextInstance = Math.Max(table.NextInstance, n + 1);
        _entries.Add(new RowAdded(table, row, previousNext, table.NextInstance));
        return row;
    }

    public void DeleteRow(DmObject row)
    {
        var table = row.Parent!.Table(row.Schema.Name)!;
        _tree.Detach(table, row);
        _entries.Add(new RowDeleted(table, row));
    }

    internal abstract record TxEntry;
    internal sealed record ValueSet(DmObject Object, string Name, bool HadOld, string OldValue, string NewValue) : TxEntry;
    internal sealed record RowAdded(DmTable Table, DmObject Row, int PreviousNext, int NewNext) : TxEntry;
    internal sealed record RowDeleted(DmTable Table, DmObject Row) : TxEntry;
}

using Usp.DataModel.Schema;

namespace Usp.DataModel.Store;

/// <summary>Runs a new row's schema initializers (agent-assigned values such as a Subscription's Recipient).</summary>
internal static class RowInitializer
{
    public static void Run(DmObject row, DmTransaction tx, DmObject? controller, DateTimeOffset now)
    {
        foreach (var init in row.Schema.Initializers)
            init(new InstanceInitContext(tx, row, controller, now));
    }
}

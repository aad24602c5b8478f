namespace Usp.Tests.Support;

/// <summary>The test process's own managed heap, for the bounded-memory checks of fuzz and flood tests.</summary>
internal static class ManagedHeap
{
    /// <summary>Bytes in use after full collections and finalizers: what is really held.</summary>
    public static long Settled()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}

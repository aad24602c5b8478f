namespace Usp.Agent.Hosting;

/// <summary>The exit status the process returns once the host has stopped; set by whoever decides the host must stop.</summary>
internal sealed class AgentExitCode
{
    private int _value;

    public int Value => Volatile.Read(ref _value);

    /// <summary>Keeps the first failure: a later, secondary one does not hide the cause.</summary>
    public void Fail(int code) => Interlocked.CompareExchange(ref _value, code, 0);
}

namespace Usp.Agent.Hosting.LocalAdmin;

/// <summary>The verbs the local administration channel carries.</summary>
internal static class LocalAdminVerbs
{
    /// <summary>Data-model verbs, answered by <see cref="ILocalAdminHandler"/>.</summary>
    public static IReadOnlyList<string> DataModel { get; } = ["get", "set", "add", "delete", "operate", "instances", "supported-dm"];

    /// <summary>Restarts the agent from its factory defaults; answered by the host.</summary>
    public const string FactoryReset = "factory-reset";
}

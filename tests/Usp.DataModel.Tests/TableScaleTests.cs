using System.Globalization;
using System.Text;
using Usp.Proto;

namespace Usp.DataModel.Tests;

/// <summary>
/// A table of 10,000 rows behaves as a small one: unique keys are still enforced (on Add, on Set, after a rolled-back
/// message, after a restart), instance numbers rise and are never reused, and every row is listed. Correctness only:
/// how long it takes is measured by <c>bench/Usp.Bench engine-scale</c>, never asserted here.
/// </summary>
public sealed class TableScaleTests : IDisposable
{
    private const int Rows = 10_000;
    private const int RowsPerAdd = 100;
    private const string Table = "Device.LocalAgent.Subscription.";
    private readonly List<TestAgent> _agents = [];
    private readonly string _directory = TestAgent.NewDirectory();

    public void Dispose()
    {
        foreach (var agent in _agents)
            agent.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void TenThousandRowsAddedOverUspKeepKeysUniqueAndNumbersRising()
    {
        var agent = Track(new TestAgent(_directory));
        var paths = new List<string>();
        var aliases = new HashSet<string>(StringComparer.Ordinal);
        for (int first = 1; first <= Rows; first += RowsPerAdd)
        {
            var creates = Enumerable.Range(first, RowsPerAdd).Select(i => (Table, Subscription($"scale-{i}"))).ToArray();
            var results = Added(agent.Add(false, creates));
            foreach (var success in results)
            {
                paths.Add(success.InstantiatedPath);
                Assert.True(aliases.Add(success.UniqueKeys["Alias"]), $"Alias {success.UniqueKeys["Alias"]} handed out twice");
            }
        }
        Assert.Equal(Enumerable.Range(1, Rows).Select(n => $"{Table}{n}."), paths);
        AssertListed(agent, Rows);
        Assert.Equal(Rows.ToString(CultureInfo.InvariantCulture), agent.Value("Device.LocalAgent.SubscriptionNumberOfEntries"));

        // The first, a middle and the last ID are taken; so is an Alias the agent assigned.
        foreach (var id in new[] { "scale-1", "scale-5000", $"scale-{Rows}" })
            AssertDuplicate(agent.Add(false, (Table, Subscription(id))));
        AssertDuplicate(agent.Add(false, (Table, [.. Subscription("fresh-alias"), ("Alias", "cpe-7777", true)])));

        // A deleted row's key is free again, its number is not.
        Assert.Equal(Header.Types.MsgType.DeleteResp, agent.Delete(false, $"{Table}7.").Header.MsgType);
        Assert.Equal($"{Table}{Rows + 1}.", Assert.Single(Added(agent.Add(false, (Table, Subscription("scale-7"))))).InstantiatedPath);

        // A message that fails halfway leaves nothing behind: its first row's ID is free again.
        AssertDuplicate(agent.Add(false, (Table, Subscription("half-done")), (Table, Subscription("scale-42"))));
        Assert.Equal($"{Table}{Rows + 2}.", Assert.Single(Added(agent.Add(false, (Table, Subscription("half-done"))))).InstantiatedPath);

        // Deleting the newest rows does not give their numbers out again.
        Assert.Equal(Header.Types.MsgType.DeleteResp, agent.Delete(false, $"{Table}{Rows + 2}.", $"{Table}{Rows + 1}.", $"{Table}3.").Header.MsgType);
        var readded = Added(agent.Add(false, (Table, Subscription("half-done")), (Table, Subscription("scale-3"))));
        Assert.Equal([$"{Table}{Rows + 3}.", $"{Table}{Rows + 4}."], readded.Select(s => s.InstantiatedPath));
        AssertListed(agent, Rows);

        // After a restart the keys are read back from the database and still enforced.
        agent.Dispose();
        _agents.Remove(agent);
        var restarted = Track(new TestAgent(_directory, defaults: null));
        AssertListed(restarted, Rows);
        AssertDuplicate(restarted.Add(false, (Table, Subscription("scale-9999"))));
        AssertDuplicate(restarted.Add(false, (Table, [.. Subscription("after-restart"), ("Alias", "cpe-2", true)])));
        Assert.Equal($"{Table}{Rows + 5}.", Assert.Single(Added(restarted.Add(false, (Table, Subscription("after-restart"))))).InstantiatedPath);
    }

    [Fact]
    public void SetOfAFunctionalKeyOnAThousandRowTableIsCheckedAgainstEveryRow()
    {
        const string bootParameters = "Device.LocalAgent.Controller.1.BootParameter.";
        var agent = Track(new TestAgent(_directory));
        for (int first = 1; first <= 1000; first += RowsPerAdd)
        {
            Added(agent.Add(false, Enumerable.Range(first, RowsPerAdd)
                .Select(i => (bootParameters, new[] { ("ParameterName", $"Device.X_Test.{i}", true) })).ToArray()));
        }

        AssertDuplicate(agent.Set(false, ($"{bootParameters}7.", [("ParameterName", "Device.X_Test.999", true)])));
        Assert.Equal(Header.Types.MsgType.SetResp, agent.Set(false, ($"{bootParameters}7.", [("ParameterName", "Device.X_Test.renamed", true)])).Header.MsgType);
        // The old value is free, the new one taken; a Set that fails halfway leaves both as they were.
        AssertDuplicate(agent.Set(false,
            ($"{bootParameters}8.", [("ParameterName", "Device.X_Test.7", true)]),
            ($"{bootParameters}9.", [("ParameterName", "Device.X_Test.renamed", true)])));
        AssertDuplicate(agent.Add(false, (bootParameters, [("ParameterName", "Device.X_Test.8", true)])));
        AssertDuplicate(agent.Add(false, (bootParameters, [("ParameterName", "Device.X_Test.renamed", true)])));
        Assert.Equal($"{bootParameters}1001.",
            Assert.Single(Added(agent.Add(false, (bootParameters, [("ParameterName", "Device.X_Test.7", true)])))).InstantiatedPath);
    }

    [Fact]
    public void TenThousandRowFactoryDefaultsAreAllCreatedWithUniqueAliases()
    {
        var defaults = new StringBuilder(TestAgent.Defaults).AppendLine();
        for (int i = 1; i <= Rows; i++)
        {
            defaults.Append(CultureInfo.InvariantCulture, $"""
                {Table}{i}.ID "fd-{i}"
                {Table}{i}.Recipient "Device.LocalAgent.Controller.1"
                {Table}{i}.NotifType "ObjectCreation"
                {Table}{i}.ReferenceList "Device.LocalAgent.Controller.1.BootParameter."
                {Table}{i}.Persistent "true"

                """);
        }
        // The last row names the Alias the agent would give the first: each row then takes the next free one.
        defaults.AppendLine(CultureInfo.InvariantCulture, $"{Table}{Rows}.Alias \"cpe-1\"");
        var agent = Track(new TestAgent(_directory, defaults: defaults.ToString()));

        var listed = AssertListed(agent, Rows);
        var aliases = listed.Select(i => i.UniqueKeys["Alias"]).ToList();
        Assert.Equal(Rows, aliases.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal("cpe-1", listed.Single(i => i.InstantiatedObjPath == $"{Table}{Rows}.").UniqueKeys["Alias"]);
        Assert.Equal("cpe-2", listed.Single(i => i.InstantiatedObjPath == $"{Table}1.").UniqueKeys["Alias"]);
        Assert.Equal($"cpe-{Rows}", listed.Single(i => i.InstantiatedObjPath == $"{Table}{Rows - 1}.").UniqueKeys["Alias"]);
        Assert.Equal($"fd-{Rows}", agent.Value($"{Table}{Rows}.ID"));

        AssertDuplicate(agent.Add(false, (Table, Subscription("fd-1"))));
        Assert.Equal($"{Table}{Rows + 1}.", Assert.Single(Added(agent.Add(false, (Table, Subscription("fd-1-again"))))).InstantiatedPath);
    }

    private TestAgent Track(TestAgent agent)
    {
        _agents.Add(agent);
        return agent;
    }

    private static (string, string, bool)[] Subscription(string id) =>
    [
        ("ID", id, true),
        ("Enable", "false", true),
        ("NotifType", "ValueChange", true),
        ("ReferenceList", "Device.DeviceInfo.FriendlyName", true),
    ];

    private static List<AddResp.Types.CreatedObjectResult.Types.OperationStatus.Types.OperationSuccess> Added(Msg resp)
    {
        Assert.True(resp.Header.MsgType == Header.Types.MsgType.AddResp, resp.ToString());
        return resp.Body.Response.AddResp.CreatedObjResults.Select(r => r.OperStatus.OperSuccess ?? throw new Xunit.Sdk.XunitException(r.ToString())).ToList();
    }

    private static void AssertDuplicate(Msg resp)
    {
        Assert.True(resp.Header.MsgType == Header.Types.MsgType.Error, resp.ToString());
        Assert.Equal(ErrorCodes.DuplicateUniqueKey, resp.Body.Error.ErrCode);
    }

    /// <summary>GetInstances lists exactly <paramref name="count"/> rows, in rising instance order, with distinct IDs.</summary>
    private static IReadOnlyList<GetInstancesResp.Types.CurrInstance> AssertListed(TestAgent agent, int count)
    {
        var listed = Assert.Single(agent.GetInstances(true, Table).ReqPathResults).CurrInsts;
        Assert.Equal(count, listed.Count);
        var numbers = listed.Select(i => int.Parse(i.InstantiatedObjPath[Table.Length..^1], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(numbers.Order(), numbers);
        Assert.Equal(count, listed.Select(i => i.UniqueKeys["ID"]).Distinct(StringComparer.Ordinal).Count());
        return listed;
    }
}

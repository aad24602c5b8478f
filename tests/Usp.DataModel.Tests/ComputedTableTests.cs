using Google.Protobuf;
using Usp.DataModel.Schema;
using Usp.DataModel.Store;
using Usp.Proto;
using static Usp.Proto.GetSupportedDMResp.Types;

namespace Usp.DataModel.Tests;

/// <summary>A clock whose timestamps only move when the test says so (sources' freshness windows).</summary>
internal sealed class SteppedClock : TimeProvider
{
    private long _ticks = TimeSpan.TicksPerDay;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    public override long GetTimestamp() => Interlocked.Read(ref _ticks);
    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(Interlocked.Read(ref _ticks));
    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>Items a test sets; each sampling reads them and can run a check (off the engine lock?) first.</summary>
internal sealed class FakeItemSource(TimeProvider time) : KeyedRowSource<string, FakeItem>(TimeSpan.FromSeconds(1), time)
{
    public List<FakeItem> Items { get; } = [];
    public int Samplings { get; private set; }
    public Action? DuringSampling { get; set; }

    protected override IEnumerable<(string Key, FakeItem Data)> Sample()
    {
        Samplings++;
        DuringSampling?.Invoke();
        return Items.Select(i => (i.Name, i)).ToList();
    }
}

internal sealed record FakeItem(string Name, int Level);

/// <summary><c>Device.X_Test_Status.Item.{i}.</c>: a computed table over <see cref="FakeItemSource"/>.</summary>
internal sealed class ComputedItemsArea(FakeItemSource source) : IDataModelArea
{
    public void Register(SchemaBuilder builder)
    {
        builder.Object("Device.X_Test_Status.")
            .Computed("Label", ParamType.String, _ => "status")
            .NumberOfEntries("Item");
        builder.Object("Device.X_Test_Status.Item.{i}.").ComputedRows(source).Key(true, "Name")
            .Computed("Name", ParamType.String, c => FakeItemSource.DataOf(c)?.Name ?? "")
            .Computed("Level", ParamType.UnsignedInt, c => (FakeItemSource.DataOf(c)?.Level ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.Object("Device.X_Test_Status.Item.{i}.Detail.")
            .Computed("Double", ParamType.UnsignedInt, c => ((FakeItemSource.DataOf(new ParamReadContext(c.Instance.Parent!))?.Level ?? 0) * 2).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

public sealed class ComputedTableTests : IDisposable
{
    private readonly SteppedClock _clock = new();
    private readonly FakeItemSource _source;
    private readonly TestAgent _agent;

    public ComputedTableTests()
    {
        _source = new FakeItemSource(_clock);
        _source.Items.AddRange([new FakeItem("alpha", 1), new FakeItem("beta", 2), new FakeItem("gamma", 3)]);
        _agent = new TestAgent(areas: [new ComputedItemsArea(_source)]);
    }

    public void Dispose() => _agent.Dispose();

    private Dictionary<string, string> Values(string path) =>
        Assert.Single(_agent.Get(path).ReqPathResults).ResolvedPathResults
            .ToDictionary(r => r.ResolvedPath + r.ResultParams.Single().Key, r => r.ResultParams.Single().Value);

    [Fact]
    public void Get_with_wildcard_reads_the_rows_the_source_sampled()
    {
        var names = Values("Device.X_Test_Status.Item.*.Name");

        Assert.Equal(new Dictionary<string, string>
        {
            ["Device.X_Test_Status.Item.1.Name"] = "alpha",
            ["Device.X_Test_Status.Item.2.Name"] = "beta",
            ["Device.X_Test_Status.Item.3.Name"] = "gamma",
        }, names);
        Assert.Equal("3", _agent.Value("Device.X_Test_Status.ItemNumberOfEntries"));
        Assert.Equal("6", _agent.Value("Device.X_Test_Status.Item.3.Detail.Double"));
    }

    [Fact]
    public void Search_expression_and_unique_key_select_computed_rows()
    {
        Assert.Equal(["Device.X_Test_Status.Item.2.Name", "Device.X_Test_Status.Item.3.Name"],
            Values("Device.X_Test_Status.Item.[Level>=2].Name").Keys.Order());
        Assert.Equal("3", _agent.Value("Device.X_Test_Status.Item.[Name==\"gamma\"].Level"));
    }

    [Fact]
    public void Object_get_returns_each_row_with_its_sub_objects()
    {
        var resolved = Assert.Single(_agent.Get("Device.X_Test_Status.").ReqPathResults).ResolvedPathResults;

        Assert.Equal(["Device.X_Test_Status.", "Device.X_Test_Status.Item.1.", "Device.X_Test_Status.Item.1.Detail.",
            "Device.X_Test_Status.Item.2.", "Device.X_Test_Status.Item.2.Detail.", "Device.X_Test_Status.Item.3.", "Device.X_Test_Status.Item.3.Detail."],
            resolved.Select(r => r.ResolvedPath));
        Assert.Equal("2", resolved[3].ResultParams["Level"]);
    }

    [Fact]
    public void GetInstances_lists_rows_with_their_unique_keys()
    {
        var result = Assert.Single(_agent.GetInstances(false, "Device.X_Test_Status.Item.").ReqPathResults);

        Assert.Equal(0u, result.ErrCode);
        Assert.Equal(["Device.X_Test_Status.Item.1.", "Device.X_Test_Status.Item.2.", "Device.X_Test_Status.Item.3."],
            result.CurrInsts.Select(i => i.InstantiatedObjPath));
        Assert.Equal("beta", result.CurrInsts[1].UniqueKeys["Name"]);
    }

    [Fact]
    public void Instance_numbers_stay_with_their_key_and_are_never_handed_out_again()
    {
        _ = Values("Device.X_Test_Status.Item.*.Name");
        _source.Items.RemoveAt(1); // beta goes
        _source.Items.Add(new FakeItem("delta", 4));
        _clock.Advance(TimeSpan.FromSeconds(1));
        var gone = Assert.Single(_agent.Get("Device.X_Test_Status.Item.2.Name").ReqPathResults);
        Assert.Equal(ErrorCodes.InvalidPath, gone.ErrCode);
        _source.Items.Add(new FakeItem("beta", 5)); // the key comes back after a sampling without it: a new row
        _clock.Advance(TimeSpan.FromSeconds(1));

        var names = Values("Device.X_Test_Status.Item.*.Name");

        Assert.Equal(new Dictionary<string, string>
        {
            ["Device.X_Test_Status.Item.1.Name"] = "alpha",
            ["Device.X_Test_Status.Item.3.Name"] = "gamma",
            ["Device.X_Test_Status.Item.4.Name"] = "delta",
            ["Device.X_Test_Status.Item.5.Name"] = "beta",
        }, names);
        Assert.Equal("4", _agent.Value("Device.X_Test_Status.ItemNumberOfEntries"));
    }

    [Fact]
    public void The_source_is_sampled_off_the_engine_lock_and_once_per_freshness_window()
    {
        bool? lockFree = null;
        _source.DuringSampling = () =>
        {
            // Another thread can take the engine lock while the source samples: the engine does not hold it.
            var probe = new Thread(() => lockFree = _agent.Engine.TryRunNow(static _ => true, 0, out bool _));
            probe.Start();
            probe.Join();
        };

        _ = Values("Device.X_Test_Status.Item.*.Name");
        _ = Values("Device.X_Test_Status.Item.*.Level");
        _ = _agent.GetInstances(true, "Device.X_Test_Status.Item.");

        Assert.True(lockFree);
        Assert.Equal(1, _source.Samplings);
        _clock.Advance(TimeSpan.FromSeconds(1));
        _ = Values("Device.X_Test_Status.Item.*.Name");
        Assert.Equal(2, _source.Samplings);
    }

    [Fact]
    public void Requests_that_cannot_reach_the_table_do_not_sample_it()
    {
        _ = _agent.Value("Device.X_Test_Status.Label");
        _ = _agent.Value("Device.LocalAgent.EndpointID");
        _ = _agent.Set(false, ("Device.DeviceInfo.", [("FriendlyName", "x", true)]));
        Assert.Equal(0, _source.Samplings);

        var touching = Record(new Request { Get = new Get { ParamPaths = { "Device.X_Test_Status.Item.[Level==1].Name" } } }, Header.Types.MsgType.Get);
        var unrelated = Record(new Request { Get = new Get { ParamPaths = { "Device.X_Test_Status.Label" } } }, Header.Types.MsgType.Get);
        var whole = Record(new Request { GetInstances = new GetInstances { ObjPaths = { "Device." } } }, Header.Types.MsgType.GetInstances);
        Assert.True(_agent.Engine.SamplesBeforeHandling(touching));
        Assert.True(_agent.Engine.SamplesBeforeHandling(whole));
        Assert.False(_agent.Engine.SamplesBeforeHandling(unrelated));

        _ = _agent.Value("Device.X_Test_Status.ItemNumberOfEntries");
        Assert.Equal(1, _source.Samplings);
        Assert.False(_agent.Engine.SamplesBeforeHandling(touching)); // fresh now
    }

    [Fact]
    public void GetSupportedDm_reports_a_read_only_multi_instance_object_with_read_only_parameters()
    {
        var resp = _agent.GetSupportedDm(new GetSupportedDM { ObjPaths = { "Device.X_Test_Status." }, ReturnParams = true });
        var table = Assert.Single(Assert.Single(resp.ReqObjResults).SupportedObjs, o => o.SupportedObjPath == "Device.X_Test_Status.Item.{i}.");

        Assert.True(table.IsMultiInstance);
        Assert.Equal(ObjAccessType.ObjReadOnly, table.Access);
        Assert.All(table.SupportedParams, p => Assert.Equal(ParamAccessType.ParamReadOnly, p.Access));
        Assert.Contains(table.SupportedParams, p => p.ParamName == "Level");
    }

    [Fact]
    public void Add_is_refused_with_7019_and_Delete_with_7024()
    {
        var add = _agent.Add(false, ("Device.X_Test_Status.Item.", []));
        Assert.Equal(Header.Types.MsgType.Error, add.Header.MsgType);
        Assert.Equal(ErrorCodes.ObjectNotCreatable, add.Body.Error.ErrCode);

        var delete = _agent.Delete(false, "Device.X_Test_Status.Item.1.");
        Assert.Equal(Header.Types.MsgType.Error, delete.Header.MsgType);
        Assert.Equal(ErrorCodes.DeleteFailure, delete.Body.Error.ErrCode);

        var partial = _agent.Delete(true, "Device.X_Test_Status.Item.*.");
        var success = Assert.Single(partial.Body.Response.DeleteResp.DeletedObjResults).OperStatus.OperSuccess;
        Assert.Empty(success.AffectedPaths);
        Assert.Equal(3, success.UnaffectedPathErrs.Count);
        Assert.All(success.UnaffectedPathErrs, e => Assert.Equal(ErrorCodes.DeleteFailure, e.ErrCode));
        Assert.Equal("3", _agent.Value("Device.X_Test_Status.ItemNumberOfEntries"));
    }

    [Fact]
    public void Rows_are_never_stored()
    {
        _ = Values("Device.X_Test_Status.Item.*.Name");
        _agent.Engine.Dispose();

        var written = Directory.EnumerateFiles(_agent.DataDirectory).Select(f => File.ReadAllText(f, System.Text.Encoding.Latin1));
        Assert.Contains(written, text => text.Contains("Device.LocalAgent.Controller.1.", StringComparison.Ordinal));
        Assert.DoesNotContain(written, text => text.Contains("X_Test_Status", StringComparison.Ordinal));
    }

    [Fact]
    public void Registration_refuses_what_a_computed_table_cannot_hold()
    {
        var source = new FakeItemSource(_clock);
        var builder = new SchemaBuilder();
        builder.Object("Device.X_A.");
        builder.Object("Device.X_A.Row.{i}.").Writable();
        Assert.Throws<InvalidOperationException>(() => builder.Object("Device.X_A.Row.{i}.").ComputedRows(source)); // writable
        builder.Object("Device.X_A.Row.{i}.Sub.{i}.");
        Assert.Throws<InvalidOperationException>(() => builder.Object("Device.X_A.Row.{i}.Sub.{i}.").ComputedRows(source)); // below a table

        builder.Object("Device.X_B.");
        var computed = builder.Object("Device.X_B.Proc.{i}.").ComputedRows(source);
        Assert.Throws<InvalidOperationException>(() => computed.Param("Stored", ParamType.String)); // no getter
        Assert.Throws<InvalidOperationException>(() => computed.Writable());
        Assert.Throws<InvalidOperationException>(() => builder.Object("Device.X_B.Proc.{i}.Child.{i}."));
    }

    private static Record Record(Request request, Header.Types.MsgType type) => new()
    {
        Version = "1.4",
        FromId = TestAgent.ControllerId,
        ToId = TestAgent.AgentId,
        NoSessionContext = new NoSessionContextRecord
        {
            Payload = new Msg { Header = new Header { MsgId = "m", MsgType = type }, Body = new Body { Request = request } }.ToByteString(),
        },
    };
}

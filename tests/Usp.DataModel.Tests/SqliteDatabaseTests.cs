using Usp.DataModel.Store;
using Usp.Proto;

namespace Usp.DataModel.Tests;

public sealed class SqliteDatabaseTests : IDisposable
{
    private readonly string _dir = TestAgent.NewDirectory();

    private SqliteDatabase OpenWithTable()
    {
        var db = SqliteDatabase.Open(Path.Combine(_dir, "test.db"));
        db.Execute("CREATE TABLE IF NOT EXISTS t(k TEXT PRIMARY KEY, v TEXT NOT NULL);");
        return db;
    }

    [Fact]
    public void TransactionWhoseWorkFailsLeavesNothingBehind()
    {
        using var db = OpenWithTable();
        using var insert = db.Prepare("INSERT INTO t(k,v) VALUES(?1,?2)");

        Assert.Throws<InvalidOperationException>(() => db.InTransaction(() =>
        {
            insert.Bind(1, "a").Bind(2, "1").Run();
            throw new InvalidOperationException("stop");
        }));

        Assert.Equal("0", db.Scalar("SELECT count(*) FROM t"));
        db.InTransaction(() => insert.Bind(1, "b").Bind(2, "2").Run());
        Assert.Equal("1", db.Scalar("SELECT count(*) FROM t"));
    }

    [Fact]
    public void ConstraintViolationIsReportedWithSqliteResultCodeAndMessage()
    {
        using var db = OpenWithTable();
        using var insert = db.Prepare("INSERT INTO t(k,v) VALUES(?1,?2)");
        insert.Bind(1, "same").Bind(2, "1").Run();

        var e = Assert.Throws<DataStoreException>(() => insert.Bind(1, "same").Bind(2, "2").Run());

        Assert.Equal(19, e.ResultCode); // SQLITE_CONSTRAINT
        Assert.False(e.IsCorruption);
        Assert.Contains("UNIQUE constraint failed", e.Message, StringComparison.Ordinal);
        // The statement was reset: it runs again with new bindings.
        insert.Bind(1, "other").Bind(2, "3").Run();
        Assert.Equal("3", db.Scalar("SELECT v FROM t WHERE k='other'"));
    }

    [Fact]
    public void TextRoundTripsAsUtf8()
    {
        using var db = OpenWithTable();
        using (var insert = db.Prepare("INSERT INTO t(k,v) VALUES(?1,?2)"))
            insert.Bind(1, "k").Bind(2, "Grüße, 温度 🌡").Run();

        using var select = db.Prepare("SELECT v, length(v) FROM t WHERE k=?1").Bind(1, "k");
        Assert.True(select.Step());
        Assert.Equal("Grüße, 温度 🌡", select.GetString(0));
        Assert.Equal(11, select.GetInt64(1)); // code points, so SQLite received UTF-8, not UTF-16
        Assert.False(select.Step());
    }

    [Fact]
    public void SetThatCannotBeSavedIsAnsweredWithAnErrorAndChangesNothing()
    {
        const string path = "Device.LocalAgent.Controller.1.ProvisioningCode";
        using var agent = new TestAgent(_dir);
        agent.Set(false, ("Device.LocalAgent.Controller.1.", [("ProvisioningCode", "before", true)]));

        // Another process (say the offline CLI) holds the write lock for longer than the agent waits.
        using (var other = SqliteDatabase.Open(Path.Combine(_dir, SqlitePersistence.FileName)))
        {
            other.Execute("BEGIN EXCLUSIVE;");
            var response = agent.Set(false, ("Device.LocalAgent.Controller.1.", [("ProvisioningCode", "after", true)]));

            Assert.Equal(Body.MsgBodyOneofCase.Error, response.Body.MsgBodyCase);
            Assert.Equal(ErrorCodes.InternalError, response.Body.Error.ErrCode);
            Assert.Contains("could not be saved", response.Body.Error.ErrMsg, StringComparison.Ordinal);
            Assert.Equal("before", agent.Value(path));
            other.Execute("ROLLBACK;");
        }

        agent.Set(false, ("Device.LocalAgent.Controller.1.", [("ProvisioningCode", "later", true)]));
        Assert.Equal("later", agent.Value(path));
    }

    public void Dispose() => Directory.Delete(_dir, true);
}

using System.Diagnostics;
using Usp.Proto;

namespace Usp.DataModel.Tests;

public sealed class PersistenceTests
{
    [Fact]
    public void DatabaseRunsInWalMode()
    {
        using var agent = new TestAgent();

        Assert.Equal("wal", agent.Engine.Store.JournalMode);
        Assert.True(File.Exists(agent.Engine.DatabasePath));
    }

    [Fact]
    public void RestartKeepsValuesAndInstanceNumbers()
    {
        var dir = TestAgent.NewDirectory();
        string sub2;
        using (var agent = new TestAgent(dir))
        {
            agent.AddSubscription("keep-1");
            sub2 = agent.AddSubscription("keep-2", notifExpiration: "42");
            var sub3 = agent.AddSubscription("gone");
            agent.Delete(false, sub3);
            agent.Set(false, ("Device.LocalAgent.Controller.1.", [("ProvisioningCode", "persisted", true)]));
            agent.Set(false, ("Device.Time.", [("LocalTimeZone", "CET-1CEST,M3.5.0,M10.5.0/3", true)]));
        }

        using (var agent = new TestAgent(dir))
        {
            Assert.Equal("keep-2", agent.Value(sub2 + "ID"));
            Assert.Equal("42", agent.Value(sub2 + "NotifExpiration"));
            Assert.Equal("Device.LocalAgent.Controller.1", agent.Value(sub2 + "Recipient"));
            Assert.Equal("persisted", agent.Value("Device.LocalAgent.Controller.1.ProvisioningCode"));
            Assert.Equal("CET-1CEST,M3.5.0,M10.5.0/3", agent.Value("Device.Time.LocalTimeZone"));
            Assert.Equal(["Device.LocalAgent.Subscription.1.", "Device.LocalAgent.Subscription.2."],
                agent.GetInstances(true, "Device.LocalAgent.Subscription.").ReqPathResults[0].CurrInsts.Select(i => i.InstantiatedObjPath));
            // R-ARC.8: instance 3 was used before the restart and is not handed out again.
            Assert.Equal("Device.LocalAgent.Subscription.4.", agent.AddSubscription("after-restart"));
            Assert.DoesNotContain(agent.Log.Lines, l => l.Contains("factory default", StringComparison.OrdinalIgnoreCase));
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void CorruptDatabaseIsMovedAsideAndRebuiltFromFactoryDefaults()
    {
        var dir = TestAgent.NewDirectory();
        File.WriteAllBytes(Path.Combine(dir, "usp-agent.db"), Enumerable.Repeat((byte)0x5A, 8192).ToArray());

        using (var agent = new TestAgent(dir))
        {
            Assert.Contains(agent.Log.Lines, l => l.StartsWith("error: Database", StringComparison.Ordinal) && l.Contains("rebuilding it from factory defaults", StringComparison.Ordinal));
            Assert.Single(Directory.GetFiles(dir, "usp-agent.db.corrupt-*"));
            Assert.Equal(TestAgent.ControllerId, agent.Value("Device.LocalAgent.Controller.1.EndpointID"));
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void FailedMessageLeavesNoTraceInTheDatabase()
    {
        var dir = TestAgent.NewDirectory();
        using (var agent = new TestAgent(dir))
        {
            var resp = agent.Add(false,
                ("Device.LocalAgent.Subscription.", [("ID", "half", true)]),
                ("Device.LocalAgent.Subscription.", [("Enable", "notabool", true)]));
            Assert.Equal(Header.Types.MsgType.Error, resp.Header.MsgType);
        }
        using (var agent = new TestAgent(dir))
        {
            Assert.Empty(agent.GetInstances(true, "Device.LocalAgent.Subscription.").ReqPathResults[0].CurrInsts);
            Assert.Equal("Device.LocalAgent.Subscription.1.", agent.AddSubscription("first"));
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Kill9MidTransactionLoopLeavesOnlyWholeAcknowledgedChanges()
    {
        var dir = TestAgent.NewDirectory();
        File.WriteAllText(Path.Combine(dir, "factory-defaults.txt"), TestAgent.Defaults);
        var testAssembly = Path.Combine(AppContext.BaseDirectory, "Usp.DataModel.Tests.dll");
        // Under "dotnet test" the test host itself runs on the dotnet muxer; reuse it when we can.
        var host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(testAssembly);
        start.ArgumentList.Add("crash-writer");
        start.ArgumentList.Add(dir);

        int lastAck = 0;
        using (var child = Process.Start(start)!)
        {
            // Guard against a hung child only; nothing here measures speed.
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (lastAck < 40 && DateTime.UtcNow < deadline)
            {
                var line = child.StandardOutput.ReadLine();
                if (line is null)
                    break;
                if (line.StartsWith("ack ", StringComparison.Ordinal))
                    lastAck = int.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            }
            child.Kill(entireProcessTree: true); // SIGKILL: no disposal, no checkpoint
            child.WaitForExit();
            // The writer ran on while we stopped reading: take the last complete "ack" it printed.
            var rest = child.StandardOutput.ReadToEnd();
            var complete = rest[..(rest.LastIndexOf('\n') + 1)];
            foreach (var line in complete.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.StartsWith("ack ", StringComparison.Ordinal))
                    lastAck = int.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        Assert.True(lastAck >= 40, $"the writer acknowledged only {lastAck} changes");

        using var agent = new TestAgent(dir);
        var subs = agent.Get("Device.LocalAgent.Subscription.*.").ReqPathResults[0].ResolvedPathResults;
        var byId = subs.ToDictionary(s => s.ResultParams["ID"]);
        for (int i = 1; i <= lastAck; i++)
        {
            Assert.True(byId.TryGetValue($"crash-{i}", out var sub), $"acknowledged subscription crash-{i} is missing");
            Assert.Equal($"{i}", sub.ResultParams["NotifExpiration"]);
            Assert.Equal("Device.LocalAgent.SoftwareVersion", sub.ResultParams["ReferenceList"]);
        }
        // At most the one message in flight at the kill may have committed after the last "ack".
        Assert.InRange(subs.Count, lastAck, lastAck + 1);
        Assert.All(subs, s => Assert.Equal(s.ResultParams["ID"], $"crash-{s.ResultParams["NotifExpiration"]}"));
        var code1 = agent.Value("Device.LocalAgent.Controller.1.ProvisioningCode");
        var code2 = agent.Value("Device.LocalAgent.Controller.2.ProvisioningCode");
        Assert.Equal(code1, code2);
        Assert.InRange(int.Parse(code1[1..], System.Globalization.CultureInfo.InvariantCulture), lastAck, lastAck + 1);
        agent.Dispose();
        Directory.Delete(dir, true);
    }
}

public sealed class DatabaseSafetyTests
{
    [Fact]
    public void DatabaseThatIsMerelyUnopenableIsNotMovedAside()
    {
        var dir = TestAgent.NewDirectory();
        // A directory where the database file should be: SQLite cannot open it, but nothing is corrupt.
        Directory.CreateDirectory(Path.Combine(dir, "usp-agent.db"));

        Assert.ThrowsAny<Exception>(() => UspEngine.Open(new UspEngineOptions { DataDirectory = dir, EndpointId = TestAgent.AgentId }));
        Assert.Empty(Directory.GetFileSystemEntries(dir, "usp-agent.db.corrupt-*"));
        Directory.Delete(dir, true);
    }
}

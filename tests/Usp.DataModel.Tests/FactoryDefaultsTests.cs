using Usp.DataModel.Defaults;
using Usp.DataModel.Store;
using Usp.Proto;

namespace Usp.DataModel.Tests;

public sealed class FactoryDefaultsTests
{
    [Fact]
    public void ParserHandlesCommentsQuotesAndEmptyValues()
    {
        var log = new TestLog();
        var entries = FactoryDefaultsFile.Parse("""
            # comment
            Device.A.B "quoted value"

            Device.A.C ""
            Device.A.D bare-value
            Device.A.E "unterminated
            Device.A.F
            """, log);

        Assert.Equal([("Device.A.B", "quoted value"), ("Device.A.C", ""), ("Device.A.D", "bare-value")], entries.Select(e => (e.Path, e.Value)));
        Assert.Equal(2, log.Lines.Count(l => l.StartsWith("warn:", StringComparison.Ordinal)));
    }

    [Fact]
    public void ObUspAgentFactoryResetFileLoadsUnchanged()
    {
        var dir = TestAgent.NewDirectory();
        var log = new TestLog();
        using (var engine = UspEngine.Open(new UspEngineOptions
        {
            DataDirectory = dir,
            FactoryDefaultsPath = Path.Combine(AppContext.BaseDirectory, "TestData", "obuspa-factory-reset-coap.txt"),
            Log = log,
        }))
        {
            Assert.Equal("proto::agent-example", engine.EndpointId);
            Assert.Equal("agent", engine.GetValue("Device.LocalAgent.MTP.1.CoAP.Path"));
            Assert.Equal("false", engine.GetValue("Device.LocalAgent.MTP.1.CoAP.EnableEncryption"));
            Assert.Equal("proto::controller-example", engine.GetValue("Device.LocalAgent.Controller.1.EndpointID"));
            Assert.Equal("0001-01-01T00:00:00Z", engine.GetValue("Device.LocalAgent.Controller.1.PeriodicNotifTime"));
            var mtp = Assert.Single(engine.GetControllerMtps("proto::controller-example"));
            Assert.Equal(("CoAP", "127.0.0.1", 5690, "ctrl", false), (mtp.Protocol, mtp.Host, mtp.Port, mtp.ResourcePath, mtp.EnableEncryption));
            var agentMtp = Assert.Single(engine.GetAgentMtps());
            Assert.Equal((5683, "agent"), (agentMtp.Port, agentMtp.ResourcePath));
        }
        var warnings = log.Lines.Where(l => l.StartsWith("warn:", StringComparison.Ordinal)).ToList();
        var unknown = Assert.Single(warnings);
        Assert.Contains("Internal.Reboot.Cause", unknown);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void ShippedDefaultsLoadWithoutWarningsAndSubstituteTheEndpointId()
    {
        var shipped = Path.Combine(RepoPaths.Root, "deploy", "factory-defaults.txt");
        var dir = TestAgent.NewDirectory();
        var log = new TestLog();
        using (var engine = UspEngine.Open(new UspEngineOptions { DataDirectory = dir, FactoryDefaultsPath = shipped, EndpointId = "os::00D09E-4711", Log = log }))
        {
            Assert.DoesNotContain(log.Lines, l => l.StartsWith("warn:", StringComparison.Ordinal));
            Assert.Equal("/e/os::00D09E-4711", engine.GetValue("Device.LocalAgent.MTP.1.CoAP.Path"));
            Assert.Equal("5683", engine.GetValue("Device.LocalAgent.MTP.1.CoAP.Port"));
            Assert.Equal("Full Access", engine.GetValue("Device.LocalAgent.ControllerTrust.Role.1.Name"));
            // One Controller ships: usp-agent ctl, which may read Device.DeviceInfo. only.
            Assert.Equal("1", engine.GetValue("Device.LocalAgent.ControllerNumberOfEntries"));
            Assert.Equal("proto::usp-agent-ctl", engine.GetValue("Device.LocalAgent.Controller.1.EndpointID"));
            Assert.Equal("Device.DeviceInfo.", engine.GetValue("Device.LocalAgent.ControllerTrust.Role.2.Permission.1.Targets"));
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void FactoryResetDropsChangesAndReappliesDefaults()
    {
        using var agent = new TestAgent();
        agent.AddSubscription("before-reset");
        agent.Set(false, ("Device.LocalAgent.Controller.1.", [("ProvisioningCode", "changed", true)]));

        agent.Engine.FactoryReset();

        Assert.Empty(agent.GetInstances(true, "Device.LocalAgent.Subscription.").ReqPathResults[0].CurrInsts);
        Assert.Equal("", agent.Value("Device.LocalAgent.Controller.1.ProvisioningCode"));
        Assert.Equal("/e/" + TestAgent.AgentId, agent.Value("Device.LocalAgent.MTP.1.CoAP.Path"));
        Assert.Equal(TestAgent.AgentId, agent.Engine.EndpointId);
    }

    [Fact]
    public void EndpointIdIsDerivedFromOuiAndSerialAndStableAcrossRestarts()
    {
        var dir = TestAgent.NewDirectory();
        using (var agent = new TestAgent(dir, endpointId: null))
            Assert.Equal("os::00D09E-SN-0001", agent.Engine.EndpointId);
        using (var agent = new TestAgent(dir, endpointId: null))
        {
            Assert.Equal("os::00D09E-SN-0001", agent.Engine.EndpointId);
            Assert.Equal("os::00D09E-SN-0001", agent.Engine.GetValue("Device.LocalAgent.EndpointID"));
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void InvalidConfiguredEndpointIdIsRejectedAtOpen() =>
        Assert.Throws<ArgumentException>(() => UspEngine.Open(new UspEngineOptions { DataDirectory = TestAgent.NewDirectory(), EndpointId = "not an id" }));

    [Fact]
    public void OsEndpointIdPercentEncodesTheSerialNumber() =>
        Assert.Equal("os::00D09E-A%2FB%20C", EndpointIdentity.FromOuiAndSerial("00D09E", "A/B C"));

    [Fact]
    public void CommittedChangesAreReportedOncePerMessage()
    {
        using var agent = new TestAgent();
        var events = new List<ChangesCommittedEventArgs>();
        agent.Engine.ChangesCommitted += (_, e) => events.Add(e);

        var sub = agent.AddSubscription("events");
        agent.Set(false, (sub, [("NotifRetry", "true", true), ("TimeToLive", "60", true)]));
        agent.Set(false, (sub, [("NotifRetry", "true", true)]));
        agent.Set(false, (sub, [("Bogus", "1", true)]));
        agent.Delete(false, sub);

        Assert.Equal(3, events.Count);
        var created = Assert.IsType<ObjectCreated>(Assert.Single(events[0].Changes));
        Assert.Equal(sub, created.Path);
        Assert.Equal("events", created.UniqueKeys["ID"]);
        Assert.Equal(TestAgent.ControllerId, events[0].ControllerEndpointId);
        Assert.Equal([new ParameterChanged(sub + "NotifRetry", "false", "true"), new ParameterChanged(sub + "TimeToLive", "0", "60")], events[1].Changes);
        Assert.Equal(new ObjectDeleted(sub), Assert.Single(events[2].Changes));
    }

    [Fact]
    public void SetInternalWritesReadOnlyParameters()
    {
        using var agent = new TestAgent();

        Assert.Null(agent.Engine.SetInternal("Device.LocalAgent.MTP.1.Status", "Up"));
        Assert.Equal("Up", agent.Value("Device.LocalAgent.MTP.1.Status"));
        Assert.NotNull(agent.Engine.SetInternal("Device.LocalAgent.MTP.1.Status", "Sideways"));
        Assert.NotNull(agent.Engine.SetInternal("Device.LocalAgent.UpTime", "5"));
    }
}

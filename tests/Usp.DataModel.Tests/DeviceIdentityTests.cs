namespace Usp.DataModel.Tests;

/// <summary>The device's identity is never empty: configuration, then factory defaults, then the system (issue 10).</summary>
public sealed class DeviceIdentityTests
{
    /// <summary>Factory defaults that leave ManufacturerOUI, SerialNumber and ProductClass to the device.</summary>
    private const string UnconfiguredDefaults = """
        Device.DeviceInfo.Manufacturer "Example Corp"
        Device.DeviceInfo.ManufacturerOUI ""
        Device.DeviceInfo.SerialNumber ""
        Device.LocalAgent.MTP.1.Enable "true"
        Device.LocalAgent.MTP.1.Protocol "CoAP"
        Device.LocalAgent.MTP.1.CoAP.Path "/e/${EndpointID}"
        """;

    private static FakeSystemRoot Gateway() => new FakeSystemRoot()
        .Interface("lo", 1, "00:00:00:00:00:00", type: 772)
        .Interface("wlan0", 3, "00:1a:2b:3c:4d:5e")
        .Interface("eth0", 2, "dc:a6:32:01:02:03")
        .Interface("veth1", 4, "aa:bb:cc:dd:ee:ff", assignType: 3)
        .File("etc/machine-id", "0123456789abcdef0123456789abcdef\n");

    [Fact]
    public void Serial_number_is_the_first_permanent_interfaces_MAC_and_the_OUI_its_first_three_bytes()
    {
        using var root = Gateway();
        var identity = new SystemIdentityProbe(root.Path).Probe();
        Assert.Equal("DCA632010203", identity.SerialNumber);
        Assert.Equal("DCA632", identity.ManufacturerOui);
        Assert.Equal("MAC address of eth0", identity.SerialSource);
    }

    [Fact]
    public void Device_tree_serial_wins_over_DMI_and_the_MAC_address_but_the_OUI_stays_the_interfaces()
    {
        using var root = Gateway()
            .File("proc/device-tree/serial-number", "10000000a1b2c3d4\0")
            .File("sys/class/dmi/id/product_serial", "PF2ABCDE\n");
        var identity = new SystemIdentityProbe(root.Path).Probe();
        Assert.Equal("10000000a1b2c3d4", identity.SerialNumber);
        Assert.Equal("DCA632", identity.ManufacturerOui);
    }

    [Fact]
    public void Model_name_comes_from_the_device_tree_else_a_real_DMI_product_name()
    {
        using (var board = Gateway()
                   .File("proc/device-tree/model", "Raspberry Pi 4 Model B Rev 1.4\0")
                   .File("sys/class/dmi/id/product_name", "Standard PC (Q35 + ICH9, 2009)\n"))
        {
            var identity = new SystemIdentityProbe(board.Path).Probe();
            Assert.Equal("Raspberry Pi 4 Model B Rev 1.4", identity.ModelName);
            Assert.Equal("device tree model", identity.ModelSource);
        }
        using (var pc = Gateway().File("sys/class/dmi/id/product_name", "Standard PC (Q35 + ICH9, 2009)\n"))
            Assert.Equal("Standard PC (Q35 + ICH9, 2009)", new SystemIdentityProbe(pc.Path).Probe().ModelName);
        using (var unnamed = Gateway().File("sys/class/dmi/id/product_name", "To Be Filled By O.E.M.\n"))
            Assert.Null(new SystemIdentityProbe(unnamed.Path).Probe().ModelName);
    }

    [Fact]
    public void An_empty_ModelName_takes_the_boards_model_but_a_factory_default_one_is_kept()
    {
        using var root = Gateway().File("proc/device-tree/model", "Raspberry Pi 4 Model B Rev 1.4\0");
        using (var agent = new TestAgent(null, UnconfiguredDefaults, endpointId: null, identity: root.Settings()))
            Assert.Equal("Raspberry Pi 4 Model B Rev 1.4", agent.Engine.GetValue("Device.DeviceInfo.ModelName"));
        using (var agent = new TestAgent(null, UnconfiguredDefaults + "\nDevice.DeviceInfo.ModelName \"EX-100\"", endpointId: null, identity: root.Settings()))
            Assert.Equal("EX-100", agent.Engine.GetValue("Device.DeviceInfo.ModelName"));
        using var plain = Gateway();
        using (var agent = new TestAgent(null, UnconfiguredDefaults, endpointId: null, identity: plain.Settings()))
            Assert.Equal("", agent.Engine.GetValue("Device.DeviceInfo.ModelName"));
    }

    [Theory]
    [InlineData("PF2ABCDE", "PF2ABCDE")]
    [InlineData("To Be Filled By O.E.M.", "DCA632010203")]
    [InlineData("Default string", "DCA632010203")]
    [InlineData("0000000000", "DCA632010203")]
    [InlineData("", "DCA632010203")]
    public void DMI_product_serial_is_used_only_when_it_holds_a_real_value(string dmi, string expected)
    {
        using var root = Gateway().File("sys/class/dmi/id/product_serial", dmi + "\n");
        Assert.Equal(expected, new SystemIdentityProbe(root.Path).Probe().SerialNumber);
    }

    [Fact]
    public void Without_a_permanent_interface_the_machine_id_and_the_documented_default_OUI_are_used()
    {
        using var root = new FakeSystemRoot()
            .Interface("lo", 1, "00:00:00:00:00:00", type: 772)
            .Interface("eth0", 7, "02:42:ac:11:00:02", assignType: 3)
            .File("etc/machine-id", "0123456789ABCDEF0123456789ABCDEF\n");
        var identity = new SystemIdentityProbe(root.Path).Probe();
        Assert.Equal("0123456789abcdef0123456789abcdef", identity.SerialNumber);
        Assert.Equal(SystemIdentityProbe.DefaultOui, identity.ManufacturerOui);
        Assert.Equal("000000", SystemIdentityProbe.DefaultOui);
    }

    [Fact]
    public void An_empty_system_offers_no_serial_number()
    {
        using var root = new FakeSystemRoot();
        var identity = new SystemIdentityProbe(root.Path).Probe();
        Assert.Null(identity.SerialNumber);
        Assert.Equal(SystemIdentityProbe.DefaultOui, identity.ManufacturerOui);
    }

    [Fact]
    public void Unconfigured_factory_defaults_get_the_systems_identity_and_an_os_EndpointID_that_survive_restarts()
    {
        using var root = Gateway();
        var dir = TestAgent.NewDirectory();
        using (var agent = new TestAgent(dir, UnconfiguredDefaults, endpointId: null, identity: root.Settings()))
        {
            Assert.Equal("DCA632", agent.Engine.GetValue("Device.DeviceInfo.ManufacturerOUI"));
            Assert.Equal("DCA632010203", agent.Engine.GetValue("Device.DeviceInfo.SerialNumber"));
            Assert.Equal(DeviceIdentityDefaults.DefaultProductClass, agent.Engine.GetValue("Device.DeviceInfo.ProductClass"));
            Assert.Equal("os::DCA632-DCA632010203", agent.Engine.EndpointId);
            Assert.Equal("/e/os::DCA632-DCA632010203", agent.Engine.GetValue("Device.LocalAgent.MTP.1.CoAP.Path"));
            Assert.Equal("MAC address of eth0", agent.Engine.Identity.SerialSource);
        }
        // The interface is gone at the next start (a replaced NIC, a container): the stored identity is kept.
        Directory.Delete(Path.Combine(root.Path, "sys"), true);
        using (var agent = new TestAgent(dir, defaults: null, endpointId: null, identity: root.Settings()))
        {
            Assert.Equal(new DeviceIdentity("DCA632", DeviceIdentityDefaults.DefaultProductClass, "DCA632010203",
                "os::DCA632-DCA632010203", "MAC address of eth0", "MAC address of eth0"), agent.Engine.Identity);
            agent.Engine.FactoryReset();
            // A factory reset derives the identity again, from what the system has now: the machine-id.
            Assert.Equal("0123456789abcdef0123456789abcdef", agent.Engine.Identity.SerialNumber);
            Assert.Equal("os::000000-0123456789abcdef0123456789abcdef", agent.Engine.EndpointId);
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Configuration_wins_over_factory_defaults_and_the_system()
    {
        using var root = Gateway();
        var dir = TestAgent.NewDirectory();
        using (var agent = new TestAgent(dir, TestAgent.Defaults, endpointId: null, identity: root.Settings("00D0F1", "CFG-7", "Sensor")))
        {
            Assert.Equal(new DeviceIdentity("00D0F1", "Sensor", "CFG-7", "os::00D0F1-CFG-7", "configuration", "configuration"), agent.Engine.Identity);
        }
        // Without the configuration the last configured values stay (stable), and factory-default values are kept over the system's.
        using (var agent = new TestAgent(dir, TestAgent.Defaults, endpointId: null, identity: root.Settings()))
            Assert.Equal(("00D0F1", "CFG-7", "os::00D0F1-CFG-7"), (agent.Engine.Identity.ManufacturerOui, agent.Engine.Identity.SerialNumber, agent.Engine.EndpointId));
        using (var agent = new TestAgent(defaults: TestAgent.Defaults, endpointId: null, identity: root.Settings()))
            Assert.Equal(new DeviceIdentity("00D09E", "Gateway", "SN-0001", "os::00D09E-SN-0001", "factory defaults", "factory defaults"), agent.Engine.Identity);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_device_with_nothing_to_go_by_generates_a_serial_number_once_and_keeps_it()
    {
        using var root = new FakeSystemRoot();
        var dir = TestAgent.NewDirectory();
        string serial;
        using (var agent = new TestAgent(dir, UnconfiguredDefaults, endpointId: null, identity: root.Settings()))
        {
            serial = agent.Engine.Identity.SerialNumber;
            Assert.Matches("^UA[0-9A-F]{16}$", serial);
            Assert.Equal("os::000000-" + serial, agent.Engine.EndpointId);
            agent.Engine.FactoryReset();
            Assert.Equal(serial, agent.Engine.Identity.SerialNumber);
        }
        using (var agent = new TestAgent(dir, defaults: null, endpointId: null, identity: root.Settings()))
            Assert.Equal("os::000000-" + serial, agent.Engine.EndpointId);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_self_EndpointID_generated_by_an_earlier_version_is_kept_across_factory_resets()
    {
        using var root = Gateway();
        using var agent = new TestAgent(defaults: UnconfiguredDefaults, endpointId: null, identity: root.Settings());
        agent.Engine.Store.SetMeta("generated_endpoint_id", "self::usp-agent-0123456789ab");
        agent.Engine.FactoryReset();
        Assert.Equal("self::usp-agent-0123456789ab", agent.Engine.EndpointId);
        Assert.Equal("DCA632010203", agent.Engine.Identity.SerialNumber);
    }

    [Theory]
    [InlineData("os::00D09E-SN%20A", true)]
    [InlineData("proto::agent", true)]
    [InlineData("oui:00D09E:agent-1", true)]
    [InlineData("self::x", true)]
    [InlineData("foo::x", false)]
    [InlineData("bogus::x", false)]
    [InlineData("proto:x", false)]
    [InlineData("proto::", false)]
    [InlineData("proto::has space", false)]
    [InlineData("oui:00 D0:x", false)]
    public void One_EndpointID_validator(string id, bool valid) =>
        Assert.Equal(valid, EndpointIdentity.IsValid(id, out _));
}

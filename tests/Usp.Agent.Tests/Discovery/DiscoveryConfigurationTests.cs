using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Usp.Agent.Discovery;
using Usp.Agent.Hosting;
using Usp.Agent.Tests.Hosting;

namespace Usp.Agent.Tests.Discovery;

/// <summary>The Discovery section, the avahi backend's service file and the auto backend's check for the daemon.</summary>
public sealed class DiscoveryConfigurationTests
{
    private static AgentOptions Read(TempDirectory directory, Dictionary<string, string> environment) =>
        AgentComposition.ReadOptions(new AgentLaunch
        {
            ReadDefaultConfigFile = false,
            Environment = environment,
            Output = TextWriter.Null,
            CurrentDirectory = directory.Path,
            ExecutableDirectory = directory.Path,
        });

    [Fact]
    public void The_defaults_are_the_auto_backend_on_every_interface_under_the_system_host_name()
    {
        using var directory = new TempDirectory();
        AgentOptions options = Read(directory, []);
        Assert.True(options.Mdns);
        Assert.Equal(DiscoveryBackend.Auto, options.Discovery.Backend);
        Assert.Empty(options.Discovery.Interfaces);
        Assert.Equal("/etc/avahi/services/usp-agent.service", options.Discovery.AvahiServiceFile);
        Assert.Equal(System.Net.Dns.GetHostName().Split('.')[0], options.Discovery.HostLabel());
    }

    [Fact]
    public void Backend_host_name_interfaces_and_subtypes_are_read()
    {
        using var directory = new TempDirectory();
        AgentOptions options = Read(directory, new()
        {
            ["USPAGENT__Discovery__Backend"] = "Avahi",
            ["USPAGENT__Discovery__HostName"] = "gw-17",
            ["USPAGENT__Discovery__Interfaces"] = "eth0, wlan0",
            ["USPAGENT__Discovery__Subtypes"] = "_gateway,_iot-device",
        });
        Assert.Equal(DiscoveryBackend.Avahi, options.Discovery.Backend);
        Assert.Equal("gw-17", options.Discovery.HostLabel());
        Assert.Equal(["eth0", "wlan0"], options.Discovery.Interfaces);
        Assert.Equal(["_gateway", "_iot-device"], options.Discovery.Subtypes);
    }

    [Theory]
    [InlineData("Backend", "bonjour", "builtin, avahi or auto")]
    [InlineData("HostName", "gw.example", "without dots")]
    [InlineData("Subtypes", "gateway", "_gateway")]
    public void A_bad_discovery_setting_names_the_key_the_value_and_what_is_expected(string key, string value, string expected)
    {
        using var directory = new TempDirectory();
        var error = Assert.Throws<AgentConfigurationException>(() => Read(directory, new() { [$"USPAGENT__Discovery__{key}"] = value }));
        Assert.Contains($"Discovery:{key}", error.Message);
        Assert.Contains($"'{value}'", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void The_avahi_service_file_describes_each_instance_with_its_port_TXT_and_subtypes_escaped_for_XML()
    {
        MdnsService service = AgentAdvertisementSource.Service("m1", "proto::a<b>", null, 5683, "e/proto::a<b>", "Tom & Jerry", true, ["_gateway"]);
        string xml = AvahiServiceFileBackend.Render(service.InstanceLabel, [service]);
        Assert.Contains("<name>proto::a&lt;b&gt;</name>", xml);
        Assert.Contains("<type>_usp-agt-coap._udp</type>", xml);
        Assert.Contains("<subtype>_gateway._sub._usp-agt-coap._udp</subtype>", xml);
        Assert.Contains("<port>5683</port>", xml);
        Assert.Contains("<txt-record>path=e/proto::a&lt;b&gt;</txt-record>", xml);
        Assert.Contains("<txt-record>name=Tom &amp; Jerry</txt-record>", xml);
        Assert.Contains("<txt-record>encrypt</txt-record>", xml);
        Assert.Equal("service-group", System.Xml.Linq.XDocument.Parse(xml, System.Xml.Linq.LoadOptions.None).Root!.Name.LocalName);
    }

    [Fact]
    public async Task The_avahi_backend_writes_the_file_on_start_rewrites_it_on_change_and_removes_it_on_stop()
    {
        using var directory = new TempDirectory();
        string file = directory.File("usp-agent.service");
        var source = new FixedSource { Current = new MdnsAdvertisement("gw", [ResponderRig.Service("Kitchen")]) };
        var backend = new AvahiServiceFileBackend(source, file, NullLogger<AvahiServiceFileBackend>.Instance);

        await backend.StartAsync(CancellationToken.None);
        Assert.Contains("name=Kitchen", File.ReadAllText(file));

        source.Current = new MdnsAdvertisement("gw", [ResponderRig.Service("Hall")]);
        source.Raise();
        for (int i = 0; i < 100 && !File.ReadAllText(file).Contains("name=Hall", StringComparison.Ordinal); i++)
        {
            await Task.Delay(20);
        }

        Assert.Contains("name=Hall", File.ReadAllText(file));
        Assert.False(File.Exists(file + ".tmp"));
        await backend.StopAsync(CancellationToken.None);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void Auto_picks_avahi_only_when_its_socket_answers()
    {
        using var directory = new TempDirectory();
        string path = directory.File("avahi.socket");
        Assert.False(AvahiServiceFileBackend.IsDaemonReachable(path));

        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        Assert.True(AvahiServiceFileBackend.IsDaemonReachable(path));

        listener.Close();
        Assert.False(AvahiServiceFileBackend.IsDaemonReachable(path));
    }

    private sealed class FixedSource : IMdnsAdvertisementSource
    {
        public MdnsAdvertisement? Current { get; set; }

        public event Action? Changed;

        public void Raise() => Changed?.Invoke();
    }
}

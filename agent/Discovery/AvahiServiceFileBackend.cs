using System.Net.Sockets;
using System.Security;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Usp.Agent.Discovery;

/// <summary>
/// Publishes the advertisement through avahi-daemon, which already answers for this host: a static service file
/// (<c>/etc/avahi/services/usp-agent.service</c>, and <c>usp-agent-N.service</c> for each further instance name),
/// rewritten atomically (temporary file + rename, which avahi's inotify watch picks up) when the advertisement
/// changes and removed on stop. avahi owns the host name and its addresses, so only the services are described.
/// </summary>
internal sealed partial class AvahiServiceFileBackend(IMdnsAdvertisementSource source, string serviceFile, ILogger<AvahiServiceFileBackend> logger)
    : IHostedService
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _written = [];
    private bool _stopped;

    /// <summary>Whether avahi-daemon answers on its Unix socket (the check for <c>Discovery:Backend</c> auto).</summary>
    public static bool IsDaemonReachable(string socketPath)
    {
        if (!File.Exists(socketPath))
        {
            return false;
        }

        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        source.Changed += OnChanged;
        Write();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        source.Changed -= OnChanged;
        lock (_gate)
        {
            _stopped = true;
            foreach (string file in _written)
            {
                TryDelete(file);
            }

            _written.Clear();
        }

        LogRemoved(serviceFile);
        return Task.CompletedTask;
    }

    /// <summary>The service file for the instances sharing one name (avahi: one name per service group).</summary>
    public static string Render(string instanceName, IEnumerable<MdnsService> services)
    {
        var xml = new StringBuilder();
        xml.Append("<?xml version=\"1.0\" standalone='no'?>\n<!DOCTYPE service-group SYSTEM \"avahi-service.dtd\">\n");
        xml.Append("<!-- Written by usp-agent; removed when it stops. Do not edit. -->\n<service-group>\n");
        xml.Append("  <name>").Append(SecurityElement.Escape(instanceName)).Append("</name>\n");
        foreach (MdnsService service in services)
        {
            xml.Append("  <service>\n    <type>").Append(SecurityElement.Escape(service.ServiceType)).Append("</type>\n");
            foreach (string subtype in service.Subtypes)
            {
                xml.Append("    <subtype>").Append(SecurityElement.Escape($"{subtype}._sub.{service.ServiceType}")).Append("</subtype>\n");
            }

            xml.Append("    <port>").Append(service.Port).Append("</port>\n");
            foreach (string txt in service.Txt)
            {
                xml.Append("    <txt-record>").Append(SecurityElement.Escape(txt)).Append("</txt-record>\n");
            }

            xml.Append("  </service>\n");
        }

        return xml.Append("</service-group>\n").ToString();
    }

    /// <summary>The signal may come under the engine lock: write on the pool, never there.</summary>
    private void OnChanged() => ThreadPool.QueueUserWorkItem(static self => self.Write(), this, preferLocal: false);

    private void Write()
    {
        lock (_gate)
        {
            MdnsAdvertisement? advertisement = source.Current;
            if (_stopped || advertisement is null)
            {
                return;
            }

            var wanted = new HashSet<string>(StringComparer.Ordinal);
            int n = 0;
            foreach (IGrouping<string, MdnsService> group in advertisement.Services.GroupBy(s => s.InstanceLabel))
            {
                n++;
                string file = n == 1 ? serviceFile : Path.Combine(Path.GetDirectoryName(serviceFile) ?? ".", $"{Path.GetFileNameWithoutExtension(serviceFile)}-{n}.service");
                wanted.Add(file);
                try
                {
                    WriteAtomically(file, Render(group.Key, group));
                    _written.Add(file);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    LogCannotWrite(file, e.Message);
                }
            }

            foreach (string stale in _written.Where(f => !wanted.Contains(f)).ToList())
            {
                TryDelete(stale);
                _written.Remove(stale);
            }

            LogPublished(advertisement.Services.Count, serviceFile);
        }
    }

    private static void WriteAtomically(string file, string content)
    {
        if (File.Exists(file) && File.ReadAllText(file) == content)
        {
            return;
        }

        string temporary = file + ".tmp";
        File.WriteAllText(temporary, content);
        File.Move(temporary, file, overwrite: true);
    }

    private void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogCannotWrite(file, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "mDNS through avahi: {Count} service instance(s) published in {File}.")]
    private partial void LogPublished(int count, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "mDNS through avahi: {File} removed.")]
    private partial void LogRemoved(string file);

    [LoggerMessage(Level = LogLevel.Error, Message = "mDNS through avahi: cannot write {File}: {Reason}")]
    private partial void LogCannotWrite(string file, string reason);
}

using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Usp.Agent.Coap;
using Usp.Agent.Hosting;
using Usp.DataModel;

namespace Usp.Agent.Mtp.Coap;

/// <summary>
/// The USP CoAP MTP as a hosted service, put together from its parts: the <see cref="CoapMtpReconciler"/> (data
/// model → served endpoints and Status, over the transports the factories make), the <see cref="CoapInboundServer"/>
/// per port it opens, <see cref="CoapInboundRecords"/> (Records in, answers out) and a <see cref="CoapRecordSender"/>
/// per security the factories offer, attached to the <see cref="OutboundRecordRouter"/> for notifications.
/// </summary>
internal sealed class CoapMtpListener : IMtpListener, IHostedService
{
    private static readonly TimeSpan DrainOnStop = TimeSpan.FromSeconds(3);

    private readonly Task<UspEngine> _engineOpened;
    private readonly OutboundRecordRouter _router;
    private readonly IReadOnlyList<ICoapTransportFactory> _transports;
    private readonly ILogger _logger;
    private readonly LocalAddress _localAddress;
    private readonly CoapInboundRecords _records;
    private readonly CancellationTokenSource _stopping = new();
    private readonly IHostNameResolver? _hostNames;
    private readonly TaskCompletionSource<IReadOnlyList<string>> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CoapMtpListener(
        AgentOptions options, Task<UspEngine> engineOpened, OutboundRecordRouter router, IReadOnlyList<ICoapTransportFactory> transports, ILogger<CoapMtpListener> logger,
        TimeProvider? time = null, IHostNameResolver? hostNames = null)
    {
        _hostNames = hostNames;
        _engineOpened = engineOpened;
        _router = router;
        _transports = transports;
        _logger = logger;
        _localAddress = new LocalAddress(IPAddress.Parse(options.Bind));
        _records = new CoapInboundRecords(logger, hostNames);
        Served = new CoapMtpReconciler(options, transports, _records, time ?? TimeProvider.System, logger);
    }

    public string Name => "CoAP";

    public Task<IReadOnlyList<string>> WhenListening => _listening.Task;

    /// <summary>What is served, and its changes (for mDNS and the like).</summary>
    public CoapMtpReconciler Served { get; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        UspEngine engine = await _engineOpened.WaitAsync(cancellationToken).ConfigureAwait(false);
        _records.Attach(engine);
        try
        {
            _listening.TrySetResult(Served.Start(engine));
        }
        catch (Exception e) when (e is SocketException or AgentConfigurationException)
        {
            _listening.TrySetException(e);
            return;
        }

        foreach (ICoapTransportFactory transport in _transports)
        {
            _router.Attach(new CoapRecordSender(Served, transport.IsSecure, _localAddress, _logger, _stopping.Token, _hostNames));
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        using (var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            // Answers already produced (an OperateResp before a reboot, say) get a moment to go out.
            drain.CancelAfter(DrainOnStop);
            await _records.StopAsync(drain.Token).ConfigureAwait(false);
        }

        await Served.StopAsync().ConfigureAwait(false);
    }
}

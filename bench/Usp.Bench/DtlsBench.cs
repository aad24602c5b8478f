using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Usp.Agent.Coap;
using Usp.Agent.Dtls;

namespace Usp.Bench;

/// <summary>
/// DTLS figures, printed (no assertions): full handshakes per second and CPU per handshake (in-process, both sides;
/// and the server's own CPU against an external client, libcoap's coap-client-openssl), resumed handshakes per second
/// as a client against openssl s_server, and POST round trips per second and CPU per round trip over an established
/// DTLS session next to plain CoAP.
///   dotnet run -c Release --project bench/Usp.Bench -- dtls [HANDSHAKES] [ROUNDTRIPS]
/// </summary>
internal static class DtlsBench
{
    public static async Task RunAsync(string[] args)
    {
        int handshakes = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 300;
        int roundTrips = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5000;
        string dir = Directory.CreateTempSubdirectory("dtls-bench-").FullName;
        try
        {
            var pki = new DevelopmentIdentity(dir);
            pki.Generate("proto::bench-agent", "proto::bench-controller", DateTimeOffset.UtcNow);
            DtlsSecurity agent = Security(pki.AgentCertificate, pki.AgentKey, pki.CaCertificate);
            DtlsSecurity controller = Security(pki.ControllerCertificate, pki.ControllerKey, pki.CaCertificate);

            await using DtlsCoapTransport serverTransport = Bind(agent);
            await using CoapEndpoint server = Echo(serverTransport);

            // Full handshakes, our client against our server in this process.
            await using (DtlsCoapTransport client = Bind(controller))
            {
                client.Start((_, _) => { });
                await client.ConnectAsync(serverTransport.LocalEndPoint, CancellationToken.None); // warm-up
                client.CloseSession(serverTransport.LocalEndPoint, "bench");
                (double seconds, double cpu) = await Measure(async () =>
                {
                    for (int i = 0; i < handshakes; i++)
                    {
                        await client.ConnectAsync(serverTransport.LocalEndPoint, CancellationToken.None);
                        client.CloseSession(serverTransport.LocalEndPoint, "bench");
                    }
                });
                Console.WriteLine($"full handshakes (ECDHE-ECDSA CCM_8, both sides in-process): {handshakes / seconds:F0}/s, {cpu / handshakes * 1000:F2} ms CPU per handshake (both sides)");
            }

            // The server's CPU alone: handshakes from coap-client-openssl processes.
            int external = Math.Min(handshakes, 100);
            (double extSeconds, double extCpu) = await Measure(async () =>
            {
                for (int i = 0; i < external; i++)
                {
                    using var p = Process.Start(new ProcessStartInfo("coap-client-openssl",
                        ["-B", "5", "-m", "post", "-e", "x", "-c", pki.ControllerCertificate, "-j", pki.ControllerKey, "-R", pki.CaCertificate,
                         $"coaps://127.0.0.1:{serverTransport.LocalEndPoint.Port}/echo"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
                    await p.WaitForExitAsync();
                }
            });
            Console.WriteLine($"server CPU per full handshake + one POST (coap-client-openssl as the client, {external} runs): {extCpu / external * 1000:F2} ms");

            // Resumed handshakes as a client, against openssl s_server.
            await ResumedAsync(pki, controller, Math.Min(handshakes, 200));

            // Round trips over an established session, and over plain UDP.
            await using (DtlsCoapTransport clientTransport = Bind(controller))
            await using (var clientEndpoint = new CoapEndpoint(clientTransport))
            {
                clientEndpoint.Start();
                await RoundTrips("DTLS (CCM_8)", new CoapClient(clientEndpoint), serverTransport.LocalEndPoint, roundTrips);
            }

            await using (var plainServer = Echo(UdpCoapTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0))))
            await using (var plainClient = CoapEndpoint.BindUdp(new IPEndPoint(IPAddress.Loopback, 0)))
            {
                plainClient.Start();
                await RoundTrips("plain CoAP", new CoapClient(plainClient), plainServer.LocalEndPoint, roundTrips);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task ResumedAsync(DevelopmentIdentity pki, DtlsSecurity controller, int count)
    {
        int port;
        using (var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        using var server = Process.Start(new ProcessStartInfo("openssl",
            ["s_server", "-dtls1_2", "-accept", $"127.0.0.1:{port}", "-cert", pki.AgentCertificate, "-key", pki.AgentKey, "-CAfile", pki.CaCertificate, "-quiet"])
        { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true })!;
        try
        {
            await Task.Delay(500);
            var peer = new IPEndPoint(IPAddress.Loopback, port);
            await using DtlsCoapTransport client = Bind(controller);
            client.ClientTargetFor = _ => new DtlsClientTarget("127.0.0.1", "proto::bench-agent");
            client.Start((_, _) => { });
            await client.ConnectAsync(peer, CancellationToken.None);
            client.CloseSession(peer, "bench");
            int resumed = 0;
            (double seconds, double cpu) = await Measure(async () =>
            {
                for (int i = 0; i < count; i++)
                {
                    await Task.Delay(5); // s_server serves one connection at a time: let it return to listening
                    if ((await client.ConnectAsync(peer, CancellationToken.None)).Resumed)
                    {
                        resumed++;
                    }

                    client.CloseSession(peer, "bench");
                }
            });
            Console.WriteLine($"resumed handshakes as a client against openssl s_server: {resumed}/{count} resumed, {count / seconds:F0}/s (5 ms pause each included), {cpu / count * 1000:F2} ms client CPU each");
        }
        finally
        {
            server.Kill();
        }
    }

    private static async Task RoundTrips(string name, CoapClient client, IPEndPoint server, int count)
    {
        var uri = new Uri($"coap://127.0.0.1:{server.Port}/echo");
        byte[] payload = RandomNumberGenerator.GetBytes(200);
        for (int i = 0; i < 100; i++)
        {
            await Send();
        }

        (double seconds, double cpu) = await Measure(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                await Send();
            }
        });
        Console.WriteLine($"{name}: {count / seconds:F0} POST round trips/s, {cpu / count * 1e6:F1} µs CPU per round trip (both sides, 200-byte payload)");

        async Task Send()
        {
            var request = CoapRequest.FromUri(CoapMethod.Post, uri);
            request.Payload = payload;
            await client.SendAsync(request, CancellationToken.None);
        }
    }

    private static async Task<(double Seconds, double Cpu)> Measure(Func<Task> work)
    {
        var process = Process.GetCurrentProcess();
        TimeSpan cpu0 = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        await work();
        watch.Stop();
        process.Refresh();
        return (watch.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu0).TotalSeconds);
    }

    private static DtlsSecurity Security(string certificate, string key, string trust) =>
        new(AgentCredentials.Load(certificate, key), new PeerCertificateValidator(new TrustAnchors(PemCertificates.Load(trust, "trust")),
            new AbsoluteTime(TimeProvider.System, DateTimeOffset.UnixEpoch)));

    private static DtlsCoapTransport Bind(DtlsSecurity security) =>
        DtlsCoapTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0), security, new DtlsSessionSettings { MaxSessions = 4096 }, NullLogger.Instance);

    private static CoapEndpoint Echo(ICoapTransport transport)
    {
        var endpoint = new CoapEndpoint(transport);
        new CoapServer(endpoint).AddResource(new CoapResource("echo", (ctx, _) => ValueTask.FromResult(new CoapResponse(CoapCode.Changed, ctx.Payload.ToArray()))));
        endpoint.Start();
        return endpoint;
    }
}

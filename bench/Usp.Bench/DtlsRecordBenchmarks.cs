using System.Collections.Concurrent;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Org.BouncyCastle.Tls;
using Usp.Agent.Dtls;

namespace Usp.Bench;

/// <summary>
/// DTLS 1.2 record protection over an established session (TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, the agent's own
/// client and server classes on BouncyCastle): one 200-byte CoAP datagram protected by one side and unprotected by the
/// other, over an in-memory datagram pair (no socket in the figure).
///   dotnet run -c Release --project bench/Usp.Bench -- --filter '*DtlsRecord*'
/// </summary>
[MemoryDiagnoser]
public class DtlsRecordBenchmarks
{
    private readonly byte[] _payload = RandomNumberGenerator.GetBytes(200);
    private readonly byte[] _buffer = new byte[2048];
    private string _directory = "";
    private DtlsTransport _client = null!;
    private DtlsTransport _server = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("dtls-record-bench-").FullName;
        var pki = new DevelopmentIdentity(_directory);
        pki.Generate("proto::bench-agent", "proto::bench-controller", DateTimeOffset.UtcNow);
        var (clientSide, serverSide) = MemoryDatagrams.Pair();
        var settings = new DtlsSessionSettings();
        var server = new AgentDtlsServer(Security(pki.AgentCertificate, pki.AgentKey, pki.CaCertificate), new Observer(), settings);
        var client = new AgentDtlsClient(Security(pki.ControllerCertificate, pki.ControllerKey, pki.CaCertificate), new Observer(), settings,
            new DtlsClientTarget("127.0.0.1", "proto::bench-agent"));
        Task<DtlsTransport> accepted = Task.Run(() => new DtlsServerProtocol().Accept(server, serverSide));
        _client = new DtlsClientProtocol().Connect(client, clientSide);
        _server = accepted.GetAwaiter().GetResult();
    }

    [Benchmark(Description = "protect (client) + unprotect (server) of a 200-byte datagram")]
    public int ProtectUnprotect()
    {
        _client.Send(_payload, 0, _payload.Length);
        return _server.Receive(_buffer, 0, _buffer.Length, 1000);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Close();
        _server.Close();
        Directory.Delete(_directory, recursive: true);
    }

    private static DtlsSecurity Security(string certificate, string key, string trust) =>
        new(AgentCredentials.Load(certificate, key), new PeerCertificateValidator(new TrustAnchors(PemCertificates.Load(trust, "trust")),
            new AbsoluteTime(TimeProvider.System, DateTimeOffset.UnixEpoch)));

    private sealed class Observer : DtlsHandshakeObserver
    {
        public override bool AcceptUntrusted(PeerCertificateVerdict verdict) => false;

        public override void Rejected(string reason) => throw new InvalidOperationException("handshake refused: " + reason);

        public override void AlertRaised(short level, short description, string? message)
        {
        }

        public override void AlertReceived(short level, short description)
        {
        }

        public override byte[] NewConnectionId() => RandomNumberGenerator.GetBytes(8);
    }

    /// <summary>Two connected in-memory datagram transports.</summary>
    private sealed class MemoryDatagrams(BlockingCollection<byte[]> inbox, BlockingCollection<byte[]> outbox) : DatagramTransport
    {
        public static (MemoryDatagrams, MemoryDatagrams) Pair()
        {
            var a = new BlockingCollection<byte[]>();
            var b = new BlockingCollection<byte[]>();
            return (new MemoryDatagrams(a, b), new MemoryDatagrams(b, a));
        }

        public int GetReceiveLimit() => 1500;

        public int GetSendLimit() => 1500;

        public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

        public int Receive(Span<byte> buffer, int waitMillis)
        {
            if (!inbox.TryTake(out byte[]? datagram, waitMillis))
            {
                return -1;
            }

            datagram.CopyTo(buffer);
            return datagram.Length;
        }

        public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

        public void Send(ReadOnlySpan<byte> buffer) => outbox.Add(buffer.ToArray());

        public void Close()
        {
        }
    }
}

using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Usp.Agent.Dtls;
using Usp.Proto;

namespace Usp.Bench.Load;

/// <summary>What every scenario of one bench run shares: the work directory, the PKI, the timings.</summary>
internal sealed class BenchContext : IDisposable
{
    private readonly string _root;
    private readonly Dictionary<int, DtlsSecurity> _controllerSecurity = [];
    private int _directories;

    public BenchContext(TimeSpan warmup, TimeSpan measure)
    {
        Warmup = warmup;
        Measure = measure;
        _root = Directory.CreateTempSubdirectory("usp-bench-").FullName;
        Pki = new DevelopmentIdentity(Path.Combine(_root, "pki"));
        Pki.Generate(AgentUnderTest.AgentId, "proto::bench-ctrl-0", DateTimeOffset.UtcNow);
    }

    public TimeSpan Warmup { get; }

    public TimeSpan Measure { get; }

    public DevelopmentIdentity Pki { get; }

    public string NewDirectory(string name) => Path.Combine(_root, $"{++_directories:D3}-{name}");

    /// <summary>Controller i's DTLS identity: a certificate for proto::bench-ctrl-i from the development CA.</summary>
    public DtlsSecurity ControllerSecurity(int i)
    {
        if (_controllerSecurity.TryGetValue(i, out var security))
        {
            return security;
        }

        string certificate = Path.Combine(Pki.Directory, $"ctrl-{i}.pem");
        string key = Path.Combine(Pki.Directory, $"ctrl-{i}.key");
        using (X509Certificate2 ca = X509Certificate2.CreateFromPemFile(Pki.CaCertificate, Pki.CaKey))
        using (X509Certificate2 leaf = DevelopmentCertificates.IssueEndpoint(ca, $"proto::bench-ctrl-{i}", ["localhost"], [IPAddress.Loopback],
                   DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1)))
        {
            DevelopmentCertificates.WritePem(leaf, certificate, key);
        }

        security = new DtlsSecurity(AgentCredentials.Load(certificate, key), new PeerCertificateValidator(
            new TrustAnchors(PemCertificates.Load(Pki.CaCertificate, "trust")), new AbsoluteTime(TimeProvider.System, DateTimeOffset.UnixEpoch)));
        _controllerSecurity[i] = security;
        return security;
    }

    /// <summary>The 1-minute load average: every figure is labelled with it (the machine is shared).</summary>
    public static double LoadAverage() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

    public static string Operation(int op) => LoadScenario.Operations[op];

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>USP request messages of the load generator.</summary>
internal static class UspMessages
{
    public static Msg Get(string msgId, params string[] paths)
    {
        var get = new Get();
        get.ParamPaths.AddRange(paths);
        return Wrap(msgId, Header.Types.MsgType.Get, new Request { Get = get });
    }

    public static Msg Set(string msgId, string objPath, string param, string value) => Wrap(msgId, Header.Types.MsgType.Set, new Request
    {
        Set = new Set
        {
            AllowPartial = false,
            UpdateObjs =
            {
                new Set.Types.UpdateObject
                {
                    ObjPath = objPath,
                    ParamSettings = { new Set.Types.UpdateParamSetting { Param = param, Value = value, Required = true } },
                },
            },
        },
    });

    /// <summary>An Add of <paramref name="count"/> rows of <paramref name="objPath"/>, each with the parameters <paramref name="row"/> gives.</summary>
    public static Msg Add(string msgId, string objPath, int count, Func<int, IEnumerable<(string Param, string Value)>> row)
    {
        var add = new Add { AllowPartial = false };
        for (int i = 0; i < count; i++)
        {
            var create = new Add.Types.CreateObject { ObjPath = objPath };
            foreach (var (param, value) in row(i))
            {
                create.ParamSettings.Add(new Add.Types.CreateParamSetting { Param = param, Value = value, Required = true });
            }

            add.CreateObjs.Add(create);
        }

        return Wrap(msgId, Header.Types.MsgType.Add, new Request { Add = add });
    }

    private static Msg Wrap(string msgId, Header.Types.MsgType type, Request request) => new()
    {
        Header = new Header { MsgId = msgId, MsgType = type },
        Body = new Body { Request = request },
    };
}

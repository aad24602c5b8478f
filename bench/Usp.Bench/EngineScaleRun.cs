using System.Diagnostics;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Usp.DataModel;
using Usp.DataModel.Records;
using Usp.Proto;
using Usp.Tests.Support;

namespace Usp.Bench;

/// <summary>
/// How the engine's cost grows with a table's size, without a transport (BenchmarkDotNet would repeat a
/// 10,000-row setup dozens of times): for each size N, N Subscription rows added through
/// <see cref="UspEngine.HandleRecord(ReadOnlySpan{byte}, SenderIdentity)"/> 100 per Add (the time of the first and of
/// the last 100 rows shows whether an Add gets slower as the table grows), the same N rows as a factory-defaults file
/// (open → ready), reopening that database, GetInstances and Get <c>Device.</c>. Prints figures; asserts only that
/// every answer is what it should be.
///   dotnet run -c Release --project bench/Usp.Bench -- engine-scale [100,1000,10000]
/// </summary>
internal static class EngineScaleRun
{
    private const string Agent = "proto::bench-agent";
    private const string Controller = "proto::bench-controller";
    private const int RowsPerAdd = 100;

    public static int Run(string[] args)
    {
        int[] sizes = args.Length > 1
            ? args[1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
            : [100, 1000, 10000];
        Console.WriteLine($"engine-scale: load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}, {Environment.ProcessorCount} cores");
        Console.WriteLine("| rows | Add over USP: total (s) | first / last 100 rows (ms) | a 1-row Add at that size (ms) | factory defaults: open → ready (s) | reopen (s) | GetInstances (ms) | Get Device. (ms) | Delete all rows in one message (s) | load avg |");
        Console.WriteLine("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (int size in sizes)
        {
            var (addTotal, firstBatch, lastBatch, singleMs, getInstancesMs, getDeviceMs, deleteAll) = AddOverUsp(size);
            var (open, reopen) = FactoryDefaults(size);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {size:N0} | {addTotal:F2} | {firstBatch:F1} / {lastBatch:F1} | {singleMs:F2} | {open:F2} | {reopen:F2} | {getInstancesMs:F1} | {getDeviceMs:F1} | {deleteAll:F2} | {File.ReadAllText("/proc/loadavg").Split(' ')[0]} |"));
        }
        return 0;
    }

    private static (double Total, double FirstMs, double LastMs, double SingleMs, double GetInstancesMs, double GetDeviceMs, double DeleteAllSeconds) AddOverUsp(int size)
    {
        string directory = NewDirectory();
        try
        {
            using var engine = UspEngine.Open(new UspEngineOptions { DataDirectory = directory, FactoryDefaultsPath = WriteDefaults(directory, 0), EndpointId = Agent });
            var total = Stopwatch.StartNew();
            double first = 0, last = 0;
            for (int present = 0; present < size;)
            {
                int batch = Math.Min(RowsPerAdd, size - present);
                double ms = AddRows(engine, present, batch);
                if (present == 0)
                    first = ms;
                present += batch;
                if (present == size)
                    last = ms;
            }
            double addSeconds = total.Elapsed.TotalSeconds;

            // What a Controller adding one Subscription at a time pays once the table is this large (then removed again).
            const int Singles = 20;
            var singleWatch = Stopwatch.StartNew();
            for (int i = 0; i < Singles; i++)
                AddRows(engine, size + i, 1);
            double singleMs = singleWatch.Elapsed.TotalMilliseconds / Singles;
            Msg deleted = Send(engine, Request(Header.Types.MsgType.Delete, new Request
            {
                Delete = new Delete { ObjPaths = { Enumerable.Range(size + 1, Singles).Select(n => $"Device.LocalAgent.Subscription.{n}.") } },
            }));
            if (deleted.Body.Response?.DeleteResp?.DeletedObjResults.Sum(r => r.OperStatus.OperSuccess?.AffectedPaths.Count ?? 0) != Singles)
                throw new InvalidOperationException("Deleting the single rows failed: " + deleted);
            engine.Notifications.PumpAsync().GetAwaiter().GetResult();

            long t = Stopwatch.GetTimestamp();
            Msg instances = Send(engine, Request(Header.Types.MsgType.GetInstances,
                new Request { GetInstances = new GetInstances { ObjPaths = { "Device.LocalAgent.Subscription." }, FirstLevelOnly = true } }));
            double getInstancesMs = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            int count = instances.Body.Response.GetInstancesResp.ReqPathResults[0].CurrInsts.Count;
            if (count != size)
                throw new InvalidOperationException($"GetInstances lists {count} rows, not {size}");

            var gets = new List<double>();
            for (int i = 0; i < 5; i++)
            {
                t = Stopwatch.GetTimestamp();
                Msg get = Send(engine, Request(Header.Types.MsgType.Get, new Request { Get = new Get { ParamPaths = { "Device." } } }));
                gets.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                if (get.Body.Response?.GetResp is null)
                    throw new InvalidOperationException("Get Device. failed: " + get);
            }
            gets.Sort();

            t = Stopwatch.GetTimestamp();
            Msg all = Send(engine, Request(Header.Types.MsgType.Delete, new Request { Delete = new Delete { ObjPaths = { "Device.LocalAgent.Subscription.*." } } }));
            engine.Notifications.PumpAsync().GetAwaiter().GetResult();
            double deleteAll = Stopwatch.GetElapsedTime(t).TotalSeconds;
            if (all.Body.Response?.DeleteResp?.DeletedObjResults[0].OperStatus.OperSuccess?.AffectedPaths.Count != size)
                throw new InvalidOperationException("Deleting every row failed: " + all);
            return (addSeconds, first, last, singleMs, getInstancesMs, gets[gets.Count / 2], deleteAll);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>One Add of <paramref name="count"/> rows and the notification loop's pass that follows every commit in the agent.</summary>
    private static double AddRows(UspEngine engine, int first, int count)
    {
        var add = new Add { AllowPartial = false };
        for (int i = 0; i < count; i++)
        {
            add.CreateObjs.Add(new Add.Types.CreateObject
            {
                ObjPath = "Device.LocalAgent.Subscription.",
                ParamSettings =
                {
                    new Add.Types.CreateParamSetting { Param = "ID", Value = count == 1 ? $"single-{first + i}" : $"scale-{first + i}" },
                    new Add.Types.CreateParamSetting { Param = "Enable", Value = "false" },
                    new Add.Types.CreateParamSetting { Param = "NotifType", Value = "ValueChange" },
                    new Add.Types.CreateParamSetting { Param = "ReferenceList", Value = "Device.DeviceInfo.FriendlyName" },
                },
            });
        }
        long start = Stopwatch.GetTimestamp();
        Msg answer = Send(engine, Request(Header.Types.MsgType.Add, new Request { Add = add }));
        engine.Notifications.PumpAsync().GetAwaiter().GetResult();
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (answer.Body.Response?.AddResp is not { } resp || resp.CreatedObjResults.Any(r => r.OperStatus.OperSuccess is null))
            throw new InvalidOperationException($"Add refused at {first} rows: {answer}");
        return ms;
    }

    private static (double OpenSeconds, double ReopenSeconds) FactoryDefaults(int size)
    {
        string directory = NewDirectory();
        try
        {
            var options = new UspEngineOptions { DataDirectory = directory, FactoryDefaultsPath = WriteDefaults(directory, size), EndpointId = Agent };
            var watch = Stopwatch.StartNew();
            using (var engine = UspEngine.Open(options))
            {
                double open = watch.Elapsed.TotalSeconds;
                CheckRows(engine, size);
                engine.Dispose();
                watch.Restart();
                using var again = UspEngine.Open(options);
                double reopen = watch.Elapsed.TotalSeconds;
                CheckRows(again, size);
                return (open, reopen);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void CheckRows(UspEngine engine, int size)
    {
        string? last = size == 0 ? "" : engine.GetValue($"Device.LocalAgent.Subscription.{size}.ID");
        if (size > 0 && last != $"fd-{size}")
            throw new InvalidOperationException($"the factory-default row {size} reads ID '{last}'");
    }

    /// <summary>A Controller with full access, plus <paramref name="rows"/> Subscription rows.</summary>
    private static string WriteDefaults(string directory, int rows)
    {
        var text = new StringBuilder(FactoryDefaultsText.FullAccessRole() + FactoryDefaultsText.Controller(1, Controller));
        for (int i = 1; i <= rows; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"""
                Device.LocalAgent.Subscription.{i}.ID "fd-{i}"
                Device.LocalAgent.Subscription.{i}.Recipient "Device.LocalAgent.Controller.1"
                Device.LocalAgent.Subscription.{i}.Enable "false"
                Device.LocalAgent.Subscription.{i}.NotifType "ValueChange"
                Device.LocalAgent.Subscription.{i}.ReferenceList "Device.DeviceInfo.FriendlyName"
                Device.LocalAgent.Subscription.{i}.Persistent "true"

                """);
        }
        string path = Path.Combine(directory, "defaults.txt");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private static string NewDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), "usp-engine-scale-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    private static long _msgId;

    private static Msg Request(Header.Types.MsgType type, Request request) =>
        new() { Header = new Header { MsgId = "scale-" + (++_msgId).ToString(CultureInfo.InvariantCulture), MsgType = type }, Body = new Body { Request = request } };

    private static Msg Send(UspEngine engine, Msg msg)
    {
        byte[] record = new Record
        {
            Version = "1.4",
            ToId = Agent,
            FromId = Controller,
            NoSessionContext = new NoSessionContextRecord { Payload = msg.ToByteString() },
        }.ToByteArray();
        RecordResult result = engine.HandleRecord(record, SenderIdentity.Unauthenticated);
        if (result.Responses.Count != 1)
            throw new InvalidOperationException($"{msg.Header.MsgType} was not answered: {result.DropReason}");
        return Msg.Parser.ParseFrom(result.Responses[0].NoSessionContext.Payload);
    }
}

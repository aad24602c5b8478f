using Usp.DataModel.Records;
using Usp.Proto;

namespace Usp.DataModel.Tests;

/// <summary>
/// Entry point of this test assembly when launched as a child process by
/// <see cref="PersistenceTests.Kill9MidTransactionLoopLeavesOnlyWholeAcknowledgedChanges"/>:
/// <c>dotnet Usp.DataModel.Tests.dll crash-writer &lt;dataDir&gt;</c> applies numbered changes forever,
/// printing "ack N" after each one the engine answered, until it is killed.
/// </summary>
public static class CrashWriterProgram
{
    public static int Main(string[] args)
    {
        if (args.Length != 2 || args[0] != "crash-writer")
            return 2;
        using var engine = UspEngine.Open(new UspEngineOptions
        {
            DataDirectory = args[1],
            FactoryDefaultsPath = Path.Combine(args[1], "factory-defaults.txt"),
            EndpointId = TestAgent.AgentId,
        });
        var stdout = Console.Out;
        for (int i = 1; ; i++)
        {
            var add = new Add { AllowPartial = false };
            add.CreateObjs.Add(new Add.Types.CreateObject
            {
                ObjPath = "Device.LocalAgent.Subscription.",
                ParamSettings =
                {
                    new Add.Types.CreateParamSetting { Param = "ID", Value = $"crash-{i}", Required = true },
                    new Add.Types.CreateParamSetting { Param = "NotifExpiration", Value = $"{i}", Required = true },
                    new Add.Types.CreateParamSetting { Param = "ReferenceList", Value = "Device.LocalAgent.SoftwareVersion", Required = true },
                },
            });
            var set = new Set { AllowPartial = false };
            foreach (var controller in new[] { "Device.LocalAgent.Controller.1.", "Device.LocalAgent.Controller.2." })
            {
                set.UpdateObjs.Add(new Set.Types.UpdateObject
                {
                    ObjPath = controller,
                    ParamSettings = { new Set.Types.UpdateParamSetting { Param = "ProvisioningCode", Value = $"v{i}", Required = true } },
                });
            }
            if (!Send(engine, $"add-{i}", new Request { Add = add }, Header.Types.MsgType.Add) ||
                !Send(engine, $"set-{i}", new Request { Set = set }, Header.Types.MsgType.Set))
                return 1;
            stdout.WriteLine($"ack {i}");
            stdout.Flush();
        }
    }

    private static bool Send(UspEngine engine, string msgId, Request request, Header.Types.MsgType type)
    {
        var msg = new Msg { Header = new Header { MsgId = msgId, MsgType = type }, Body = new Body { Request = request } };
        var result = engine.HandleRecord(TestAgent.EncodeRecord(msg), SenderIdentity.Unauthenticated);
        var response = Msg.Parser.ParseFrom(Record.Parser.ParseFrom(result.ResponseBytes.Single()).NoSessionContext.Payload);
        return response.Header.MsgType != Header.Types.MsgType.Error;
    }
}

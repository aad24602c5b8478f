using Usp.Proto;

namespace Usp.Agent.ControllerSide;

/// <summary>
/// Builds the USP request Msg for a data-model verb of the command line (local administration and <c>ctl</c>),
/// from the arguments <see cref="Cli.DataModelVerbs"/> has validated.
/// </summary>
internal static class UspRequests
{
    public const string FirstLevelOnlyFlag = "--first-level-only";

    /// <summary>The CommandKey of the commands the command line runs.</summary>
    public const string CommandKey = "usp-agent-cli";

    public static Msg Build(string verb, IReadOnlyList<string> arguments, string msgId)
    {
        bool firstLevelOnly = arguments.Contains(FirstLevelOnlyFlag);
        string[] values = arguments.Where(a => a != FirstLevelOnlyFlag).ToArray();
        var request = new Request();
        Header.Types.MsgType type;
        switch (verb)
        {
            case "get":
                type = Header.Types.MsgType.Get;
                request.Get = new Get();
                request.Get.ParamPaths.AddRange(values);
                break;
            case "set":
                type = Header.Types.MsgType.Set;
                request.Set = BuildSet(values);
                break;
            case "add":
                type = Header.Types.MsgType.Add;
                request.Add = BuildAdd(values);
                break;
            case "delete":
                type = Header.Types.MsgType.Delete;
                request.Delete = new Delete();
                request.Delete.ObjPaths.AddRange(values);
                break;
            case "operate":
                type = Header.Types.MsgType.Operate;
                request.Operate = BuildOperate(values);
                break;
            case "instances":
                type = Header.Types.MsgType.GetInstances;
                request.GetInstances = new GetInstances { FirstLevelOnly = firstLevelOnly };
                request.GetInstances.ObjPaths.AddRange(values);
                break;
            case "supported-dm":
                type = Header.Types.MsgType.GetSupportedDm;
                request.GetSupportedDm = new GetSupportedDM
                {
                    FirstLevelOnly = firstLevelOnly,
                    ReturnCommands = true,
                    ReturnEvents = true,
                    ReturnParams = true,
                    ReturnUniqueKeySets = true,
                };
                request.GetSupportedDm.ObjPaths.AddRange(values);
                break;
            default:
                throw new ArgumentException($"'{verb}' is not a data-model verb", nameof(verb));
        }

        return new Msg
        {
            Header = new Header { MsgId = msgId, MsgType = type },
            Body = new Body { Request = request },
        };
    }

    private static Set BuildSet(IEnumerable<string> settings)
    {
        var set = new Set();
        var byObject = new Dictionary<string, Set.Types.UpdateObject>(StringComparer.Ordinal);
        foreach (string setting in settings)
        {
            (string path, string value) = SplitAssignment(setting);
            int lastDot = path.LastIndexOf('.');
            string obj = path[..(lastDot + 1)];
            if (!byObject.TryGetValue(obj, out var update))
            {
                update = new Set.Types.UpdateObject { ObjPath = obj };
                byObject.Add(obj, update);
                set.UpdateObjs.Add(update);
            }

            update.ParamSettings.Add(new Set.Types.UpdateParamSetting { Param = path[(lastDot + 1)..], Value = value, Required = true });
        }

        return set;
    }

    private static Add BuildAdd(IReadOnlyList<string> values)
    {
        var create = new Add.Types.CreateObject { ObjPath = values[0] };
        foreach (string assignment in values.Skip(1))
        {
            (string name, string value) = SplitAssignment(assignment);
            create.ParamSettings.Add(new Add.Types.CreateParamSetting { Param = name, Value = value, Required = true });
        }

        var add = new Add();
        add.CreateObjs.Add(create);
        return add;
    }

    private static Operate BuildOperate(IReadOnlyList<string> values)
    {
        var operate = new Operate { Command = values[0], CommandKey = CommandKey, SendResp = true };
        foreach (string assignment in values.Skip(1))
        {
            (string name, string value) = SplitAssignment(assignment);
            operate.InputArgs[name] = value;
        }

        return operate;
    }

    private static (string Name, string Value) SplitAssignment(string assignment)
    {
        int equals = assignment.IndexOf('=');
        return (assignment[..equals], assignment[(equals + 1)..]);
    }
}

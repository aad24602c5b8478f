using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Protobuf.Collections;
using Usp.Proto;

namespace Usp.Agent.ControllerSide;

/// <summary>What the command line prints for a USP response: readable text or JSON, and whether every part succeeded.</summary>
internal readonly record struct FormattedResponse(bool Succeeded, string Body);

/// <summary>
/// Turns a USP response Msg (GetResp, SetResp, …, or Error) into what a person reads on a terminal, or into
/// JSON for scripts. Every failure the response carries (a path error, a failed object, an Error message) makes
/// <see cref="FormattedResponse.Succeeded"/> false.
/// </summary>
internal static class UspResponseFormatter
{
    public static FormattedResponse Format(Msg msg, bool json)
    {
        var text = new StringBuilder();
        var buffer = new ArrayBufferWriter<byte>();
        bool ok;
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            ok = Write(msg, text, writer);
            writer.WriteBoolean("ok", ok);
            writer.WriteEndObject();
        }

        return new FormattedResponse(ok, json ? Encoding.UTF8.GetString(buffer.WrittenSpan) : text.ToString().TrimEnd('\n'));
    }

    private static bool Write(Msg msg, StringBuilder text, Utf8JsonWriter json)
    {
        json.WriteString("msgId", msg.Header?.MsgId ?? "");
        if (msg.Body?.Error is { } error)
        {
            WriteError(error, text, json);
            return false;
        }

        Response? response = msg.Body?.Response;
        switch (response?.RespTypeCase)
        {
            case Response.RespTypeOneofCase.GetResp:
                return WriteGet(response.GetResp, text, json);
            case Response.RespTypeOneofCase.SetResp:
                return WriteSet(response.SetResp, text, json);
            case Response.RespTypeOneofCase.AddResp:
                return WriteAdd(response.AddResp, text, json);
            case Response.RespTypeOneofCase.DeleteResp:
                return WriteDelete(response.DeleteResp, text, json);
            case Response.RespTypeOneofCase.OperateResp:
                return WriteOperate(response.OperateResp, text, json);
            case Response.RespTypeOneofCase.GetInstancesResp:
                return WriteInstances(response.GetInstancesResp, text, json);
            case Response.RespTypeOneofCase.GetSupportedDmResp:
                return WriteSupportedDm(response.GetSupportedDmResp, text, json);
            case Response.RespTypeOneofCase.GetSupportedProtocolResp:
                json.WriteString("agentSupportedProtocolVersions", response.GetSupportedProtocolResp.AgentSupportedProtocolVersions);
                text.Append("supported USP versions: ").Append(response.GetSupportedProtocolResp.AgentSupportedProtocolVersions).Append('\n');
                return true;
            default:
                json.WriteString("error", "the agent's answer is not a USP response");
                text.Append("the agent's answer is not a USP response (").Append(msg.Header?.MsgType.ToString() ?? "no header").Append(")\n");
                return false;
        }
    }

    private static void WriteError(Error error, StringBuilder text, Utf8JsonWriter json)
    {
        json.WriteStartObject("error");
        json.WriteNumber("errCode", error.ErrCode);
        json.WriteString("errMsg", error.ErrMsg);
        json.WriteStartArray("paramErrs");
        text.Append("error ").Append(error.ErrCode).Append(": ").Append(error.ErrMsg).Append('\n');
        foreach (var param in error.ParamErrs)
        {
            WriteErrorEntry("paramPath", param.ParamPath, param.ErrCode, param.ErrMsg, "  ", text, json);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static bool WriteGet(GetResp get, StringBuilder text, Utf8JsonWriter json) =>
        WriteResults("get", get.ReqPathResults, "requestedPath", r => r.RequestedPath, requested =>
        {
            bool ok = WritePathError(requested.RequestedPath, requested.ErrCode, requested.ErrMsg, text, json);
            json.WriteStartObject("values");
            foreach (var resolved in requested.ResolvedPathResults)
            {
                foreach (var (name, value) in resolved.ResultParams.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    string path = resolved.ResolvedPath + name;
                    json.WriteString(path, value);
                    text.Append(path).Append(" = ").Append(value).Append('\n');
                }

                if (resolved.ResultParams.Count == 0)
                {
                    text.Append(resolved.ResolvedPath).Append('\n');
                }
            }

            json.WriteEndObject();
            return ok;
        }, json);

    private static bool WriteSet(SetResp set, StringBuilder text, Utf8JsonWriter json) =>
        WriteResults("set", set.UpdatedObjResults, "requestedPath", r => r.RequestedPath, result =>
        {
            bool ok = true;
            var status = result.OperStatus;
            if (status?.OperFailure is { } failure)
            {
                ok = false;
                WriteFailure(result.RequestedPath, failure.ErrCode, failure.ErrMsg, text, json);
                json.WriteStartArray("paramErrs");
                foreach (var instance in failure.UpdatedInstFailures)
                {
                    ok &= WriteParamErrors(instance.AffectedPath, instance.ParamErrs, text, json);
                }

                json.WriteEndArray();
            }
            else if (status?.OperSuccess is { } success)
            {
                json.WriteStartObject("updated");
                foreach (var instance in success.UpdatedInstResults)
                {
                    foreach (var (name, value) in instance.UpdatedParams.OrderBy(p => p.Key, StringComparer.Ordinal))
                    {
                        json.WriteString(instance.AffectedPath + name, value);
                        text.Append(instance.AffectedPath).Append(name).Append(" = ").Append(value).Append('\n');
                    }
                }

                json.WriteEndObject();
                json.WriteStartArray("paramErrs");
                foreach (var instance in success.UpdatedInstResults)
                {
                    ok &= WriteParamErrors(instance.AffectedPath, instance.ParamErrs, text, json);
                }

                json.WriteEndArray();
            }

            return ok;
        }, json);

    private static bool WriteParamErrors(string objectPath, RepeatedField<SetResp.Types.ParameterError> errors, StringBuilder text, Utf8JsonWriter json) =>
        WriteParamErrors(objectPath, errors.Select(e => (e.Param, e.ErrCode, e.ErrMsg)).ToList(), text, json);

    private static bool WriteParamErrors(string objectPath, RepeatedField<AddResp.Types.ParameterError> errors, StringBuilder text, Utf8JsonWriter json) =>
        WriteParamErrors(objectPath, errors.Select(e => (e.Param, e.ErrCode, e.ErrMsg)).ToList(), text, json);

    private static bool WriteParamErrors(string objectPath, List<(string Param, uint Code, string Message)> errors, StringBuilder text, Utf8JsonWriter json)
    {
        foreach ((string param, uint code, string message) in errors)
        {
            WriteErrorEntry("param", objectPath + param, code, message, "", text, json);
        }

        return errors.Count == 0;
    }

    private static bool WriteAdd(AddResp add, StringBuilder text, Utf8JsonWriter json) =>
        WriteResults("add", add.CreatedObjResults, "requestedPath", r => r.RequestedPath, result =>
        {
            bool ok = true;
            var status = result.OperStatus;
            if (status?.OperFailure is { } failure)
            {
                ok = false;
                WriteFailure(result.RequestedPath, failure.ErrCode, failure.ErrMsg, text, json);
            }
            else if (status?.OperSuccess is { } success)
            {
                json.WriteString("instantiatedPath", success.InstantiatedPath);
                WriteMap("uniqueKeys", success.UniqueKeys, json);
                text.Append("created ").Append(success.InstantiatedPath);
                AppendKeys(success.UniqueKeys, text);
                text.Append('\n');
                json.WriteStartArray("paramErrs");
                ok &= WriteParamErrors(success.InstantiatedPath, success.ParamErrs, text, json);
                json.WriteEndArray();
            }

            return ok;
        }, json);

    private static bool WriteDelete(DeleteResp delete, StringBuilder text, Utf8JsonWriter json) =>
        WriteResults("delete", delete.DeletedObjResults, "requestedPath", r => r.RequestedPath, result =>
        {
            bool ok = true;
            var status = result.OperStatus;
            if (status?.OperFailure is { } failure)
            {
                ok = false;
                WriteFailure(result.RequestedPath, failure.ErrCode, failure.ErrMsg, text, json);
            }
            else if (status?.OperSuccess is { } success)
            {
                json.WriteStartArray("affectedPaths");
                foreach (string path in success.AffectedPaths)
                {
                    json.WriteStringValue(path);
                    text.Append("deleted ").Append(path).Append('\n');
                }

                json.WriteEndArray();
                if (success.AffectedPaths.Count == 0)
                {
                    text.Append(result.RequestedPath).Append(": nothing to delete\n");
                }

                json.WriteStartArray("unaffectedPathErrs");
                foreach (var unaffected in success.UnaffectedPathErrs)
                {
                    ok = false;
                    WriteErrorEntry("path", unaffected.UnaffectedPath, unaffected.ErrCode, unaffected.ErrMsg, "", text, json);
                }

                json.WriteEndArray();
            }

            return ok;
        }, json);

    private static bool WriteOperate(OperateResp operate, StringBuilder text, Utf8JsonWriter json) =>
        WriteResults("operate", operate.OperationResults, "executedCommand", r => r.ExecutedCommand, result =>
        {
            switch (result.OperationRespCase)
            {
                case OperateResp.Types.OperationResult.OperationRespOneofCase.CmdFailure:
                    WriteFailure(result.ExecutedCommand, result.CmdFailure.ErrCode, result.CmdFailure.ErrMsg, text, json);
                    return false;
                case OperateResp.Types.OperationResult.OperationRespOneofCase.ReqObjPath:
                    json.WriteString("requestObjPath", result.ReqObjPath);
                    text.Append(result.ExecutedCommand).Append(": started, tracked in ").Append(result.ReqObjPath).Append('\n');
                    break;
                default:
                    WriteMap("outputArgs", result.ReqOutputArgs?.OutputArgs_, json);
                    text.Append(result.ExecutedCommand).Append(": done\n");
                    foreach (var (name, value) in (result.ReqOutputArgs?.OutputArgs_ ?? []).OrderBy(p => p.Key, StringComparer.Ordinal))
                    {
                        text.Append("  ").Append(name).Append(" = ").Append(value).Append('\n');
                    }

                    break;
            }

            return true;
        }, json);

    private static bool WriteInstances(GetInstancesResp instances, StringBuilder text, Utf8JsonWriter json) =>
        WriteResults("instances", instances.ReqPathResults, "requestedPath", r => r.RequestedPath, requested =>
        {
            bool ok = WritePathError(requested.RequestedPath, requested.ErrCode, requested.ErrMsg, text, json);
            json.WriteStartArray("currInsts");
            foreach (var instance in requested.CurrInsts)
            {
                json.WriteStartObject();
                json.WriteString("path", instance.InstantiatedObjPath);
                WriteMap("uniqueKeys", instance.UniqueKeys, json);
                json.WriteEndObject();
                text.Append(instance.InstantiatedObjPath);
                AppendKeys(instance.UniqueKeys, text);
                text.Append('\n');
            }

            json.WriteEndArray();
            return ok;
        }, json);

    private static bool WriteSupportedDm(GetSupportedDMResp dm, StringBuilder text, Utf8JsonWriter json) =>
        WriteResults("supportedDm", dm.ReqObjResults, "requestedPath", r => r.ReqObjPath, requested =>
        {
            bool ok = WritePathError(requested.ReqObjPath, requested.ErrCode, requested.ErrMsg, text, json);
            json.WriteStartArray("objects");
            foreach (var obj in requested.SupportedObjs)
            {
                json.WriteStartObject();
                json.WriteString("path", obj.SupportedObjPath);
                json.WriteString("access", obj.Access.ToString());
                json.WriteBoolean("multiInstance", obj.IsMultiInstance);
                text.Append(obj.SupportedObjPath).Append(" (").Append(obj.Access).Append(obj.IsMultiInstance ? ", multi-instance" : "").Append(")\n");
                json.WriteStartArray("params");
                foreach (var param in obj.SupportedParams)
                {
                    json.WriteStartObject();
                    json.WriteString("name", param.ParamName);
                    json.WriteString("access", param.Access.ToString());
                    json.WriteString("type", param.ValueType.ToString());
                    json.WriteEndObject();
                    text.Append("  ").Append(param.ParamName).Append(" : ").Append(param.ValueType).Append(", ").Append(param.Access).Append('\n');
                }

                json.WriteEndArray();
                json.WriteStartArray("commands");
                foreach (var command in obj.SupportedCommands)
                {
                    json.WriteStringValue(command.CommandName);
                    text.Append("  ").Append(command.CommandName).Append(" (").Append(command.CommandType).Append(")\n");
                }

                json.WriteEndArray();
                json.WriteStartArray("events");
                foreach (var e in obj.SupportedEvents)
                {
                    json.WriteStringValue(e.EventName);
                    text.Append("  ").Append(e.EventName).Append('\n');
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            return ok;
        }, json);

    /// <summary>
    /// One JSON array of per-path results, each an object that opens with its path; <paramref name="writeRest"/>
    /// writes the rest of the object (and the text) and says whether that result succeeded.
    /// </summary>
    private static bool WriteResults<T>(string arrayName, IEnumerable<T> results, string pathKey, Func<T, string> pathOf,
        Func<T, bool> writeRest, Utf8JsonWriter json)
    {
        bool ok = true;
        json.WriteStartArray(arrayName);
        foreach (T result in results)
        {
            json.WriteStartObject();
            json.WriteString(pathKey, pathOf(result));
            ok &= writeRest(result);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        return ok;
    }

    /// <summary>A requested path's own error, when it has one: false then.</summary>
    private static bool WritePathError(string path, uint code, string message, StringBuilder text, Utf8JsonWriter json)
    {
        if (code == 0)
        {
            return true;
        }

        WriteFailure(path, code, message, text, json);
        return false;
    }

    /// <summary>One error in a list of them: {pathKey, errCode, errMsg}, and "path: error code: message" in the text.</summary>
    private static void WriteErrorEntry(string pathKey, string path, uint code, string message, string indent, StringBuilder text, Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString(pathKey, path);
        json.WriteNumber("errCode", code);
        json.WriteString("errMsg", message);
        json.WriteEndObject();
        text.Append(indent).Append(path).Append(": error ").Append(code).Append(": ").Append(message).Append('\n');
    }

    private static void WriteFailure(string path, uint code, string message, StringBuilder text, Utf8JsonWriter json)
    {
        json.WriteNumber("errCode", code);
        json.WriteString("errMsg", message);
        text.Append(path).Append(": error ").Append(code.ToString(CultureInfo.InvariantCulture)).Append(": ").Append(message).Append('\n');
    }

    private static void WriteMap(string name, MapField<string, string>? map, Utf8JsonWriter json)
    {
        json.WriteStartObject(name);
        foreach (var (key, value) in (map ?? []).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            json.WriteString(key, value);
        }

        json.WriteEndObject();
    }

    private static void AppendKeys(MapField<string, string> keys, StringBuilder text)
    {
        if (keys.Count > 0)
        {
            text.Append(" (").AppendJoin(", ", keys.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")).Append(')');
        }
    }
}

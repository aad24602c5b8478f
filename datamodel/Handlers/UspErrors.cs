using Usp.Proto;

namespace Usp.DataModel.Handlers;

/// <summary>Builders for USP Error bodies.</summary>
internal static class UspErrors
{
    public static Body Body(uint code, string message, IEnumerable<Error.Types.ParamError>? paramErrors = null)
    {
        var error = new Error { ErrCode = code, ErrMsg = message };
        if (paramErrors is not null)
            error.ParamErrs.AddRange(paramErrors);
        return new Body { Error = error };
    }

    public static Error.Types.ParamError Param(string path, uint code, string message) =>
        new() { ParamPath = path, ErrCode = code, ErrMsg = message };
}

/// <summary>One parameter that could not be set, before it is mapped to a message-specific type.</summary>
internal readonly record struct ParamFailure(string Param, uint Code, string Message);

namespace Usp.DataModel.Operations;

/// <summary>How a command ended: its output arguments, or a USP error code and message.</summary>
public sealed class CommandOutcome
{
    private CommandOutcome(IReadOnlyDictionary<string, string> outputArgs, uint errorCode, string errorMessage)
    {
        OutputArgs = outputArgs;
        ErrorCode = errorCode;
        ErrorMessage = errorMessage;
    }

    public IReadOnlyDictionary<string, string> OutputArgs { get; }
    /// <summary>Non-zero when the command failed (7022 Command failure, 7023 canceled, 7027 bad arguments…).</summary>
    public uint ErrorCode { get; }
    public string ErrorMessage { get; }
    public bool Failed => ErrorCode != 0;

    public static CommandOutcome Success(IReadOnlyDictionary<string, string>? outputArgs = null) =>
        new(outputArgs ?? new Dictionary<string, string>(), 0, "");

    public static CommandOutcome Failure(uint errorCode, string message) =>
        new(new Dictionary<string, string>(), errorCode == 0 ? ErrorCodes.CommandFailure : errorCode, message);
}

namespace Usp.DataModel;

/// <summary>USP error codes (TR-369 "Error Codes" and "USP Record Errors").</summary>
public static class ErrorCodes
{
    public const uint MessageFailed = 7000;
    public const uint MessageNotSupported = 7001;
    public const uint RequestDenied = 7002;
    public const uint InternalError = 7003;
    public const uint InvalidArguments = 7004;
    public const uint ResourcesExceeded = 7005;
    public const uint PermissionDenied = 7006;
    public const uint InvalidConfiguration = 7007;
    public const uint InvalidPathSyntax = 7008;
    public const uint ParameterActionFailed = 7009;
    public const uint UnsupportedParameter = 7010;
    public const uint InvalidType = 7011;
    public const uint InvalidValue = 7012;
    public const uint ParameterNotWritable = 7013;
    public const uint ValueConflict = 7014;
    public const uint OperationError = 7015;
    public const uint ObjectDoesNotExist = 7016;
    public const uint ObjectCouldNotBeCreated = 7017;
    public const uint ObjectNotATable = 7018;
    public const uint ObjectNotCreatable = 7019;
    public const uint ObjectCouldNotBeUpdated = 7020;
    public const uint RequiredParameterFailed = 7021;
    public const uint CommandFailure = 7022;
    public const uint CommandCanceled = 7023;
    public const uint DeleteFailure = 7024;
    public const uint DuplicateUniqueKey = 7025;
    public const uint InvalidPath = 7026;
    public const uint InvalidCommandArguments = 7027;

    public const uint RecordNotParsed = 7100;
    public const uint SecureSessionRequired = 7101;
    public const uint SecureSessionNotSupported = 7102;
    public const uint SegmentationNotSupported = 7103;
    public const uint InvalidRecordValue = 7104;
    public const uint SessionContextTerminated = 7105;
    public const uint SessionContextNotAllowed = 7106;
}

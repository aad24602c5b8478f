namespace Usp.Agent.Hosting.LocalAdmin;

/// <summary>One local administration request: a verb (get, set, factory-reset…) and its already-validated arguments.</summary>
internal sealed record LocalAdminRequest(string Verb, IReadOnlyList<string> Arguments, bool Json)
{
    public bool Equals(LocalAdminRequest? other) =>
        other is not null && Verb == other.Verb && Json == other.Json && Arguments.SequenceEqual(other.Arguments);

    public override int GetHashCode() => HashCode.Combine(Verb, Json, Arguments.Count);
}

/// <summary>The answer: the CLI prints <see cref="Body"/> (to stderr when the exit code is not 0) and exits with <see cref="ExitCode"/>.</summary>
internal sealed record LocalAdminResponse(int ExitCode, bool IsJson, string Body)
{
    public static LocalAdminResponse Text(int exitCode, string body) => new(exitCode, false, body);
}

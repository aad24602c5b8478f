using System.Globalization;
using Usp.DataModel.Operations;
using Usp.DataModel.Schema;

namespace Usp.DataModel.Tests;

/// <summary>
/// <c>Device.IP.Diagnostics.TraceRoute()</c> with the TR-181 input arguments and defaults, against a
/// network that never answers: each try waits its Timeout on the engine clock. Records every try.
/// </summary>
internal sealed class FakeTraceRouteArea : IDataModelArea
{
    private readonly List<TraceRouteTry> _tries = [];

    public IReadOnlyList<TraceRouteTry> Tries
    {
        get
        {
            lock (_tries)
                return _tries.ToList();
        }
    }

    public void Register(SchemaBuilder builder)
    {
        builder.Object("Device.IP.");
        builder.Object("Device.IP.Diagnostics.")
            .Command("TraceRoute()", isAsync: true,
                inputs:
                [
                    new ArgumentSchema("Interface", ParamType.String, Constraints: new ValueConstraints { MaxLength = 256 }),
                    new ArgumentSchema("ProtocolVersion", ParamType.String, Default: "Any",
                        Constraints: new ValueConstraints { Enumeration = ["Any", "IPv4", "IPv6"] }),
                    new ArgumentSchema("Host", ParamType.String, Mandatory: true, Constraints: new ValueConstraints { MaxLength = 256 }),
                    new ArgumentSchema("NumberOfTries", ParamType.UnsignedInt, Default: "3",
                        Constraints: new ValueConstraints { MinInclusive = 1, MaxInclusive = 3 }),
                    new ArgumentSchema("Timeout", ParamType.UnsignedInt, Default: "5000", Constraints: new ValueConstraints { MinInclusive = 1 }),
                    new ArgumentSchema("DSCP", ParamType.UnsignedInt, Default: "0", Constraints: new ValueConstraints { MaxInclusive = 63 }),
                    new ArgumentSchema("MaxHopCount", ParamType.UnsignedInt, Default: "30",
                        Constraints: new ValueConstraints { MinInclusive = 1, MaxInclusive = 64 }),
                ],
                outputs: [new ArgumentSchema("Status", ParamType.String)])
            .Handle("TraceRoute()", RunAsync);
    }

    private async Task<CommandOutcome> RunAsync(AsyncCommandContext ctx, CancellationToken cancellationToken)
    {
        int tries = int.Parse(ctx.InputArgs["NumberOfTries"], CultureInfo.InvariantCulture);
        var timeout = TimeSpan.FromMilliseconds(int.Parse(ctx.InputArgs["Timeout"], CultureInfo.InvariantCulture));
        for (int i = 0; i < tries; i++)
        {
            lock (_tries)
                _tries.Add(new TraceRouteTry(ctx.Time.GetUtcNow(), ctx.InputArgs["Host"], ctx.InputArgs["ProtocolVersion"], ctx.InputArgs["Interface"]));
            await ctx.DelayAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        return CommandOutcome.Success(new Dictionary<string, string> { ["Status"] = "Error_MaxHopCountExceeded" });
    }
}

internal sealed record TraceRouteTry(DateTimeOffset At, string Host, string ProtocolVersion, string Interface);

using System.Collections.Concurrent;
using System.Net;

namespace Usp.Agent.Mtp.Coap;

/// <summary>
/// Our reply-to for the answers POSTed from one served resource, formatted once per local address and form
/// instead of once per answer.
/// </summary>
internal sealed class OwnReplyTo
{
    private const int MaxKept = 64;
    private readonly LocalAddress _local;
    private readonly int _port;
    private readonly string _resourcePath;
    private readonly bool _secure;
    private readonly ConcurrentDictionary<(IPAddress Local, ReplyToForm Form), string> _formatted = new();

    public OwnReplyTo(LocalAddress local, int port, string resourcePath, bool secure)
    {
        _local = local;
        _port = port;
        _resourcePath = resourcePath;
        _secure = secure;
        Uri = destination => For(destination, ReplyToForm.Uri);
        HostPortPath = destination => For(destination, ReplyToForm.HostPortPath);
    }

    public Func<IPAddress, string> Uri { get; }

    public Func<IPAddress, string> HostPortPath { get; }

    /// <summary>The reply-to towards a destination, in the form the Controller used (<see cref="CoapRecordPoster.PostAsync"/>'s replyTo).</summary>
    public Func<IPAddress, string> In(ReplyToForm form) => form == ReplyToForm.Uri ? Uri : HostPortPath;

    private string For(IPAddress destination, ReplyToForm form)
    {
        IPAddress local = _local.Towards(destination);
        if (_formatted.TryGetValue((local, form), out string? value))
        {
            return value;
        }

        if (_formatted.Count >= MaxKept)
        {
            _formatted.Clear();
        }

        value = ReplyTo.Format(local.ToString(), _port, _resourcePath, _secure, form);
        _formatted[(local, form)] = value;
        return value;
    }
}

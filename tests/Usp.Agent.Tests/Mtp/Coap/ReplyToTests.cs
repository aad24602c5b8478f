using Usp.Agent.Mtp.Coap;

namespace Usp.Agent.Tests.Mtp;

public class ReplyToTests
{
    [Theory]
    [InlineData("coap://127.0.0.1:5690/e/proto::ctrl", "127.0.0.1", 5690, "e/proto::ctrl", false)]
    [InlineData("coaps://ctrl.example.com/usp", "ctrl.example.com", 5684, "usp", true)]
    [InlineData("coap://[::1]:6000/c", "::1", 6000, "c", false)]
    [InlineData("coap://host:7000", "host", 7000, "", false)]
    [InlineData("coap://10.0.0.1:5683/e/proto%3A%3Actrl", "10.0.0.1", 5683, "e/proto::ctrl", false)]
    public void UriFormIsParsed(string value, string host, int port, string path, bool secure)
    {
        Assert.True(ReplyTo.TryParse(value, out var replyTo, out string error), error);
        Assert.Equal(new ReplyTo(host, port, path, secure, ReplyToForm.Uri), replyTo);
    }

    [Theory]
    [InlineData("127.0.0.1:5690/e/proto::ctrl", "127.0.0.1", 5690, "e/proto::ctrl")]
    [InlineData("[fe80::1]:5683/x", "fe80::1", 5683, "x")]
    [InlineData("ctrl.local/usp", "ctrl.local", 5683, "usp")]
    public void SeedHostPortPathFormIsParsed(string value, string host, int port, string path)
    {
        Assert.True(ReplyTo.TryParse(value, out var replyTo, out string error), error);
        Assert.Equal(new ReplyTo(host, port, path, false, ReplyToForm.HostPortPath), replyTo);
    }

    [Theory]
    [InlineData("http://127.0.0.1:80/x", "scheme")]
    [InlineData("coap://127.0.0.1:99999/x", "port")]
    [InlineData("coap://127.0.0.1:abc/x", "port")]
    [InlineData("coap://:5683/x", "host")]
    [InlineData("::1:5683/x", "host")]
    [InlineData("coap://127.0.0.1:5683/x?a=b", "query")]
    [InlineData("", "host")]
    public void MalformedReplyToIsRejectedWithAReason(string value, string reasonWord)
    {
        Assert.False(ReplyTo.TryParse(value, out var replyTo, out string error));
        Assert.Null(replyTo);
        Assert.Contains(reasonWord, error);
    }

    [Fact]
    public void ReplyToIsFoundAmongOtherQueries()
    {
        Assert.True(ReplyTo.TryFind(["a=1", "reply-to=coap://127.0.0.1:1234/c"], out var replyTo, out _));
        Assert.Equal(1234, replyTo.Port);
    }

    [Fact]
    public void MissingReplyToSaysWhatIsMissing()
    {
        Assert.False(ReplyTo.TryFind(["a=1"], out _, out string error));
        Assert.Contains("reply-to", error);
    }

    [Theory]
    [InlineData(true, false, "coap://127.0.0.1:5683/e/proto::agent")]
    [InlineData(true, true, "coaps://127.0.0.1:5683/e/proto::agent")]
    [InlineData(false, false, "127.0.0.1:5683/e/proto::agent")]
    public void OwnReplyToIsWrittenInTheFormTheControllerUsed(bool uriForm, bool secure, string expected)
    {
        var form = uriForm ? ReplyToForm.Uri : ReplyToForm.HostPortPath;
        Assert.Equal(expected, ReplyTo.Format("127.0.0.1", 5683, "/e/proto::agent", secure, form));
    }

    [Fact]
    public void Ipv6HostIsBracketedWhenFormatted()
    {
        Assert.Equal("coap://[::1]:5683/x", ReplyTo.Format("::1", 5683, "x", false, ReplyToForm.Uri));
    }

    [Fact]
    public void FormattedValueParsesBackToTheSameAddress()
    {
        var original = new ReplyTo("::1", 6001, "e/proto::a", true, ReplyToForm.Uri);
        Assert.True(ReplyTo.TryParse(original.ToString(), out var parsed, out _));
        Assert.Equal(original, parsed);
    }
}

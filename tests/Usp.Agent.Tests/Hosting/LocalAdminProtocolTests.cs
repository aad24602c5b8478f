using Usp.Agent.Hosting.LocalAdmin;

namespace Usp.Agent.Tests.Hosting;

public sealed class LocalAdminProtocolTests
{
    [Fact]
    public void A_request_survives_encoding_with_unicode_and_empty_arguments()
    {
        var request = new LocalAdminRequest("set", ["Device.LocalAgent.Alias=café ☕", ""], Json: true);

        byte[] frame = LocalAdminProtocol.EncodeRequest(request);

        Assert.Equal(frame.Length - 4, (frame[0] << 24) | (frame[1] << 16) | (frame[2] << 8) | frame[3]);
        Assert.Equal(request, LocalAdminProtocol.DecodeRequest(frame.AsSpan(4)));
    }

    [Fact]
    public void A_response_survives_encoding_with_a_negative_exit_code()
    {
        var response = new LocalAdminResponse(-3, IsJson: true, """{"a":1}""");

        Assert.Equal(response, LocalAdminProtocol.DecodeResponse(LocalAdminProtocol.EncodeResponse(response).AsSpan(4)));
    }

    [Fact]
    public void A_truncated_request_is_rejected()
    {
        byte[] frame = LocalAdminProtocol.EncodeRequest(new LocalAdminRequest("get", ["Device."], false));

        Assert.Throws<InvalidDataException>(() => LocalAdminProtocol.DecodeRequest(frame.AsSpan(4, frame.Length - 5)));
    }

    [Fact]
    public void A_request_of_another_protocol_version_is_rejected()
    {
        byte[] frame = LocalAdminProtocol.EncodeRequest(new LocalAdminRequest("get", ["Device."], false));
        frame[4] = 2;

        var error = Assert.Throws<InvalidDataException>(() => LocalAdminProtocol.DecodeRequest(frame.AsSpan(4)));
        Assert.Contains("version 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_frame_longer_than_the_limit_is_refused_before_it_is_read()
    {
        var stream = new MemoryStream([0x7f, 0xff, 0xff, 0xff]);

        await Assert.ThrowsAsync<InvalidDataException>(() => LocalAdminProtocol.ReadFrameAsync(stream, CancellationToken.None));
    }
}

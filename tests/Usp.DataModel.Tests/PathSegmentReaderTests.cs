using Usp.DataModel.Paths;

namespace Usp.DataModel.Tests;

public sealed class PathSegmentReaderTests
{
    [Theory]
    [InlineData("")]
    [InlineData("Device")]
    [InlineData("Device.DeviceInfo.Manufacturer")]
    [InlineData("Device.LocalAgent.Controller.1.")]
    [InlineData("Device..X.")]
    [InlineData("Device.X..")]
    [InlineData("Device.IP.Interface.[Name==\"a.b\"&&Enable==true].Status")]
    [InlineData("Device.X.[Alias==\"q].x\"].Y")]
    [InlineData("Device.X.[open.Y")]
    [InlineData("Device.X].Y.Z")]
    public void Reads_the_segments_Split_gives(string path)
    {
        var read = new List<string>();
        var reader = new PathSegmentReader(path);
        while (reader.TryRead(out var segment))
            read.Add(segment.ToString());

        Assert.Equal(PathSegments.Split(path), read);
        Assert.Equal(read.LastOrDefault() ?? "", PathSegmentReader.Last(path).ToString());
    }
}

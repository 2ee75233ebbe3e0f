using Berth.Agent.Nodes;
using Berth.Agent.Pods.Eviction;

namespace Berth.Agent.Tests;

public sealed class EvictionThresholdsTests
{
    [Fact]
    public void Parse_TakesQuantitiesAndPercentagesOfTheSignalsBerthWatches()
    {
        var thresholds = EvictionThresholds.Parse("memory.available<1Gi, nodefs.available<15%", out var error);

        Assert.Null(error);
        Assert.Equal(1024m * 1024 * 1024, thresholds!.Memory!.BytesOf(64m * 1024 * 1024 * 1024));
        Assert.Equal(150m, thresholds.NodeFs!.BytesOf(1000));
        Assert.True(thresholds.NodeFs.IsMet(149, 1000));
        Assert.False(thresholds.NodeFs.IsMet(150, 1000));
        Assert.Equal(100m * 1024 * 1024, EvictionThresholds.Default.Memory!.BytesOf(1));
    }

    [Theory]
    [InlineData("memory.available=1Gi", "\"memory.available=1Gi\" is not signal<amount (memory.available<100Mi)")]
    [InlineData("pid.available<10%", "unsupported eviction signal \"pid.available\" (Berth watches memory.available and nodefs.available)")]
    [InlineData("nodefs.available<120%", "\"120%\" for nodefs.available is neither a quantity (100Mi) nor a percentage (10%)")]
    public void Parse_RefusesWhatItCannotWatch_SayingWhy(string text, string message)
    {
        Assert.Null(EvictionThresholds.Parse(text, out var error));
        Assert.Equal(message, error);
    }

    [Theory]
    [InlineData(104857600, "100Mi")]
    [InlineData(569344, "556Ki")]
    [InlineData(1000, "1000")]
    [InlineData(0, "0")]
    public void Binary_WritesBytesInTheLargestUnitThatDividesThem(long bytes, string text) => Assert.Equal(text, EvictionManager.Binary(bytes));
}

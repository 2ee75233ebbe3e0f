using System.Text.Json.Nodes;
using Berth.Agent.Nodes;
using Berth.Agent.Pods;
using Berth.Agent.Pods.Eviction;

namespace Berth.Agent.Tests;

public sealed class EvictionThresholdsTests
{
    [Fact]
    public void Parse_TakesQuantitiesAndPercentagesOfTheSignalsBerthWatches()
    {
        var thresholds = EvictionThresholds.Parse("memory.available<1Gi, nodefs.available<15%", out var error);

        Assert.Null(error);
        Assert.Equal(1024m * 1024 * 1024, thresholds!.Memory!.AmountOf(64m * 1024 * 1024 * 1024));
        Assert.Equal(150m, thresholds.NodeFs!.AmountOf(1000));
        Assert.True(thresholds.NodeFs.IsMet(149, 1000));
        Assert.False(thresholds.NodeFs.IsMet(150, 1000));
        Assert.Equal(100m * 1024 * 1024, EvictionThresholds.Default.Memory!.AmountOf(1));
    }

    [Theory]
    [InlineData("memory.available=1Gi", "\"memory.available=1Gi\" is not signal<amount (memory.available<100Mi)")]
    [InlineData("nodefs.inodesFree<5%", "unsupported eviction signal \"nodefs.inodesFree\" (Berth watches memory.available, nodefs.available and pid.available)")]
    [InlineData("nodefs.available<120%", "\"120%\" for nodefs.available is neither a quantity (100Mi) nor a percentage (10%)")]
    public void Parse_RefusesWhatItCannotWatch_SayingWhy(string text, string message)
    {
        Assert.Null(EvictionThresholds.Parse(text, out var error));
        Assert.Equal(message, error);
    }

    [Fact]
    public void Pressure_IsEachSignalUnderItsThreshold()
    {
        var thresholds = EvictionThresholds.Parse("memory.available<1Gi,nodefs.available<10%,pid.available<1000", out _)!;
        var gib = 1024m * 1024 * 1024;

        Assert.Equal(new NodePressure(false, false, false), LocalMachine.Pressure(new NodeResourceReading(2 * gib, 8 * gib, 20, 100, 30000, 32768), thresholds));
        Assert.Equal(new NodePressure(true, true, true), LocalMachine.Pressure(new NodeResourceReading(gib - 1, 8 * gib, 9, 100, 999, 32768), thresholds));
        Assert.Equal(new NodePressure(false, false, false), LocalMachine.Pressure(new NodeResourceReading(0, 8 * gib, 0, 100, 0, 32768), EvictionThresholds.Parse("", out _)!));
    }

    [Theory]
    [InlineData("MemoryPressure", "BestEffort", "The node had condition: [MemoryPressure]. ")]
    [InlineData("MemoryPressure", "Burstable", null)]
    [InlineData("DiskPressure", "Guaranteed", "The node had condition: [DiskPressure]. ")]
    [InlineData("PIDPressure", "Burstable", "The node had condition: [PIDPressure]. ")]
    public void PressureRefusal_RefusesWhatUpstreamsKubeletRefuses(string condition, string qosClass, string? message)
    {
        var pod = JsonNode.Parse($$$"""{"spec": {"priority": 0}, "status": {"qosClass": "{{{qosClass}}}"}}""")!.AsObject();
        var node = JsonNode.Parse($$$"""{"status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "{{{condition}}}", "status": "True"}]}}""")!.AsObject();

        Assert.Equal(message, PodAdmission.PressureRefusal(pod, node)?.Message);
        pod["spec"]!["priority"] = 2_000_000_000;
        Assert.Null(PodAdmission.PressureRefusal(pod, node));
    }

    [Theory]
    [InlineData(104857600, "100Mi")]
    [InlineData(569344, "556Ki")]
    [InlineData(1000, "1000")]
    [InlineData(0, "0")]
    public void Binary_WritesBytesInTheLargestUnitThatDividesThem(long bytes, string text) => Assert.Equal(text, EvictionManager.Binary(bytes));
}

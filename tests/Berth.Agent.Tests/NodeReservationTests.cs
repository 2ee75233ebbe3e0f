using Berth.Agent.Nodes;

namespace Berth.Agent.Tests;

public sealed class NodeReservationTests
{
    [Fact]
    public void Parse_ReadsEachResourceAndPlusAddsThem()
    {
        var system = NodeReservation.Parse("cpu=500m, memory=1Gi", out var error);
        var kube = NodeReservation.Parse("memory=256Mi,ephemeral-storage=1G", out _);

        Assert.Null(error);
        Assert.Equal(new NodeReservation(0.5m, 1280m * 1024 * 1024, 1_000_000_000m), system!.Plus(kube!));
        Assert.Equal(NodeReservation.None, NodeReservation.Parse("", out _));
    }

    [Theory]
    [InlineData("gpu=1")]
    [InlineData("cpu=lots")]
    [InlineData("memory")]
    public void Parse_OfSomethingElse_SaysWhatIsWrong(string text)
    {
        Assert.Null(NodeReservation.Parse(text, out var error));
        Assert.Contains("is not <cpu|memory|ephemeral-storage>=<quantity>", error, StringComparison.Ordinal);
    }
}

using System.Text.Json.Nodes;
using Berth.Controllers.Deployments;

namespace Berth.Controllers.Tests;

/// <summary>maxSurge and maxUnavailable as upstream resolves them.</summary>
public sealed class RolloutLimitsTests
{
    [Theory]
    [InlineData(10, null, null, 3, 2)]
    [InlineData(4, "1", "1", 1, 1)]
    [InlineData(10, "30%", "30%", 3, 3)]
    [InlineData(3, "0", "0", 0, 1)]
    [InlineData(1, "0", "25%", 0, 1)]
    public void Of_ResolvesCountsAndPercentagesRoundingSurgeUpAndUnavailableDown(int replicas, string? surge, string? unavailable, int maxSurge, int maxUnavailable)
    {
        var rolling = new JsonObject();
        if (surge is not null)
            rolling["maxSurge"] = surge.EndsWith('%') ? surge : int.Parse(surge, System.Globalization.CultureInfo.InvariantCulture);
        if (unavailable is not null)
            rolling["maxUnavailable"] = unavailable.EndsWith('%') ? unavailable : int.Parse(unavailable, System.Globalization.CultureInfo.InvariantCulture);
        var deployment = new JsonObject { ["spec"] = new JsonObject { ["replicas"] = replicas, ["strategy"] = new JsonObject { ["rollingUpdate"] = rolling } } };

        Assert.Equal(new RolloutLimits(maxSurge, maxUnavailable), RolloutLimits.Of(deployment));
    }

    [Fact]
    public void SameTemplate_IgnoresTheHashLabelAndFieldsSetToNull()
    {
        var deployment = JsonNode.Parse("""{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"name":"a","image":"x"}]}}""");
        var replicaSet = JsonNode.Parse("""{"metadata":{"labels":{"app":"web","pod-template-hash":"abc"}},"spec":{"containers":[{"image":"x","name":"a"}]}}""");
        var other = JsonNode.Parse("""{"metadata":{"labels":{"app":"web","pod-template-hash":"abc"}},"spec":{"containers":[{"image":"y","name":"a"}]}}""");

        Assert.True(PodTemplateHash.SameTemplate(deployment, replicaSet));
        Assert.False(PodTemplateHash.SameTemplate(deployment, other));
        Assert.NotEqual(PodTemplateHash.Of(deployment!, 0), PodTemplateHash.Of(deployment!, 1));
    }
}

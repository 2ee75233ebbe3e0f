using Berth.Controllers.NodeLifecycle;
using Berth.Controllers.TaintEviction;
using Berth.Core.Pods;

namespace Berth.Controllers.Tests;

/// <summary>When pods leave tainted nodes, and how fast sick nodes are tainted, by upstream's rules.</summary>
public sealed class EvictionRulesTests
{
    private static readonly NoExecuteTaint Unreachable = new("node.kubernetes.io/unreachable", "", null);
    private static readonly NoExecuteTaint Dedicated = new("dedicated", "db", null);

    [Fact]
    public void Eviction_WhenSomeTaintIsNotTolerated_ThenIsImmediate()
    {
        var tolerations = new[] { new Toleration("node.kubernetes.io/unreachable", "Exists", "", "NoExecute", 300) };

        Assert.Equal(Eviction.Now, Eviction.For([Unreachable, Dedicated], tolerations));
    }

    [Fact]
    public void Eviction_WhenEveryTaintIsToleratedForAWhile_ThenComesAfterTheShortestToleration()
    {
        var tolerations = new[]
        {
            new Toleration("node.kubernetes.io/unreachable", "Exists", "", "NoExecute", 300),
            new Toleration("dedicated", "Equal", "db", "", 20),
        };

        Assert.Equal(new Eviction(false, TimeSpan.FromSeconds(20)), Eviction.For([Unreachable, Dedicated], tolerations));
    }

    [Fact]
    public void Eviction_WhenEveryTaintIsToleratedForEver_ThenNeverComes()
    {
        var tolerations = new[] { new Toleration("", "Exists", "", "", null) };

        Assert.True(Eviction.For([Unreachable, Dedicated], tolerations).Never);
    }

    [Fact]
    public void Eviction_WhenATolerationHasNoSecondsLeft_ThenIsImmediate()
    {
        var tolerations = new[] { new Toleration("node.kubernetes.io/unreachable", "Exists", "", "NoExecute", -5) };

        Assert.Equal(Eviction.Now, Eviction.For([Unreachable], tolerations));
    }

    [Fact]
    public void Toleration_WithTheWrongValue_DoesNotTolerate()
    {
        Assert.False(new Toleration("dedicated", "Equal", "web", "NoExecute", null).Tolerates("dedicated", "db", "NoExecute"));
        Assert.True(new Toleration("dedicated", "Exists", "", "NoExecute", null).Tolerates("dedicated", "db", "NoExecute"));
    }

    [Theory]
    [InlineData(10, 0, "Normal")]
    [InlineData(8, 2, "Normal")]
    [InlineData(2, 3, "PartialDisruption")]
    [InlineData(7, 3, "Normal")]
    [InlineData(0, 1, "FullDisruption")]
    [InlineData(0, 0, "Normal")]
    public void ZoneState_FollowsTheShareOfNodesNotReady(int ready, int notReady, string expected) =>
        Assert.Equal(expected, ZoneHealth.State(ready, notReady, 0.55).ToString());

    [Fact]
    public void EvictionRate_InAMostlySickZone_IsTheSecondaryRateOnlyWhenTheZoneIsLarge()
    {
        var options = NodeLifecycleOptions.Default;

        Assert.Equal(0.01, ZoneHealth.EvictionRate(ZoneState.PartialDisruption, 51, options));
        Assert.Equal(0, ZoneHealth.EvictionRate(ZoneState.PartialDisruption, 50, options));
        Assert.Equal(0.1, ZoneHealth.EvictionRate(ZoneState.Normal, 3, options));
        Assert.Equal(0.1, ZoneHealth.EvictionRate(ZoneState.FullDisruption, 3, options));
    }

    [Fact]
    public void TokenBucket_LetsOneThroughThenOneEveryTenSecondsAtTheDefaultRate()
    {
        var start = DateTimeOffset.UnixEpoch;
        var bucket = new TokenBucket(0.1, start);

        Assert.True(bucket.TryTake(start));
        Assert.False(bucket.TryTake(start.AddSeconds(9)));
        Assert.True(bucket.TryTake(start.AddSeconds(10)));
        bucket.SetRate(0, start.AddSeconds(100));
        Assert.False(bucket.TryTake(start.AddSeconds(200)));
    }
}

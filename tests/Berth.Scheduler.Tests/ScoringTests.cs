using Berth.Scheduler.Framework;
using Berth.Scheduler.Plugins.ImageLocality;
using Berth.Scheduler.Plugins.NodeAffinity;
using Berth.Scheduler.Plugins.NodeResourcesBalancedAllocation;
using Berth.Scheduler.Plugins.NodeResourcesFit;
using Berth.Scheduler.Plugins.TaintToleration;
using static Berth.Scheduler.Tests.Objects;

namespace Berth.Scheduler.Tests;

/// <summary>The score plugins' figures against upstream's formulas, worked by hand for each case.</summary>
public sealed class ScoringTests
{
    private static readonly NodeInfo HalfFull = Node("half", cpu: "4", memory: "8Gi").With(Pod("busy", cpu: "2", memory: "2Gi"));

    [Theory]
    // LeastAllocated: cpu (4000-3000)*100/4000 = 25, memory (8-3)*100/8 = 62 (62.5 truncated); mean (25+62)/2 = 43.
    [InlineData("LeastAllocated", 43)]
    // MostAllocated: cpu 3000*100/4000 = 75, memory 3*100/8 = 37; (75+37)/2 = 56.
    [InlineData("MostAllocated", 56)]
    public void NodeResourcesFit_ScoresByItsStrategy(string strategy, long expected)
    {
        ScoringStrategy scoring = strategy == "MostAllocated" ? new MostAllocated(ResourceAllocation.CpuAndMemory) : new LeastAllocated(ResourceAllocation.CpuAndMemory);
        var fit = new NodeResourcesFit(scoring);

        Assert.Equal(expected, fit.ScoreOne(new CycleState(), Pod("new", cpu: "1", memory: "1Gi"), HalfFull));
    }

    [Fact]
    public void NodeResourcesFit_CountsAPodThatRequestsNothingAsUpstreamsDefaults()
    {
        var fit = new NodeResourcesFit();
        // cpu: (4000 - 2000 - 100) * 100 / 4000 = 47; memory: (8Gi - 2Gi - 200Mi) * 100 / 8Gi = 72 (72.55); (47 + 72) / 2 = 59.
        Assert.Equal(59, fit.ScoreOne(new CycleState(), Pod("empty"), HalfFull));
    }

    [Fact]
    public void RequestedToCapacityRatio_FollowsItsShapeAndRounds()
    {
        // Shape 0% → 0, 100% → 10 (×10 = 100): utilisation itself. cpu 75 %, memory 37 %: round((75 + 37) / 2) = 56.
        var shaped = new NodeResourcesFit(new RequestedToCapacityRatio(ResourceAllocation.CpuAndMemory, [(0, 0), (100, 10)]));
        Assert.Equal(56, shaped.ScoreOne(new CycleState(), Pod("new", cpu: "1", memory: "1Gi"), HalfFull));

        // Reversed shape (0% → 10, 100% → 0) prefers empty nodes: cpu 25, memory 100 - 37 = 63; round(88 / 2) = 44.
        var reversed = new NodeResourcesFit(new RequestedToCapacityRatio(ResourceAllocation.CpuAndMemory, [(0, 10), (100, 0)]));
        Assert.Equal(44, reversed.ScoreOne(new CycleState(), Pod("new", cpu: "1", memory: "1Gi"), HalfFull));
    }

    [Fact]
    public void BalancedAllocation_PrefersEvenUse()
    {
        var balanced = new NodeResourcesBalancedAllocation();
        // cpu 3/4 = 0.75, memory 3/8 = 0.375: std = |0.75 - 0.375| / 2 = 0.1875; (1 - 0.1875) * 100 = 81.
        Assert.Equal(81, balanced.ScoreOne(new CycleState(), Pod("new", cpu: "1", memory: "1Gi"), HalfFull));
        // cpu 2/4 = 0.5, memory 4/8 = 0.5: perfectly even.
        Assert.Equal(100, balanced.ScoreOne(new CycleState(), Pod("new", memory: "2Gi"), HalfFull));
    }

    [Fact]
    public void TaintToleration_ScoresFewerUntoleratedPreferNoScheduleTaintsHigher()
    {
        var plugin = new TaintToleration();
        var nodes = new[]
        {
            Node("clean"),
            Node("one", taints: """[{"key":"a","effect":"PreferNoSchedule"}]"""),
            Node("two", taints: """[{"key":"a","effect":"PreferNoSchedule"},{"key":"b","value":"x","effect":"PreferNoSchedule"}]"""),
            Node("tolerated", taints: """[{"key":"b","value":"x","effect":"PreferNoSchedule"}]"""),
        };
        var pod = Pod("p", spec: """{"tolerations":[{"key":"b","operator":"Equal","value":"x","effect":"PreferNoSchedule"}]}""");
        var state = new CycleState();
        plugin.PreScore(state, pod, new Snapshot(nodes, new NamespaceLabels()), nodes);
        var scores = plugin.ScoreAll(state, pod, nodes);
        Assert.Equal([0, 1, 1, 0], scores);

        plugin.Normalize(state, pod, nodes, scores);
        Assert.Equal([100, 0, 0, 100], scores);
    }

    [Fact]
    public void NodeAffinity_AddsTheWeightsOfThePreferredTermsANodeMatches()
    {
        var plugin = new NodeAffinity();
        var nodes = new[] { Node("ssd-a", labels: """{"disk":"ssd","zone":"a"}"""), Node("ssd-b", labels: """{"disk":"ssd","zone":"b"}"""), Node("hdd-a", labels: """{"disk":"hdd","zone":"a"}""") };
        var pod = Pod("p", spec: """
            {"affinity":{"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[
              {"weight":80,"preference":{"matchExpressions":[{"key":"disk","operator":"In","values":["ssd"]}]}},
              {"weight":20,"preference":{"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}]}}]}}}
            """);
        var state = new CycleState();
        Assert.True(plugin.PreScore(state, pod, new Snapshot(nodes, new NamespaceLabels()), nodes).IsSuccess);
        var scores = plugin.ScoreAll(state, pod, nodes);
        Assert.Equal([100, 80, 20], scores);

        plugin.Normalize(state, pod, nodes, scores);
        Assert.Equal([100, 80, 20], scores);
    }

    [Fact]
    public void NodeAffinity_SkipsAPodThatAsksNothingOfItsNode()
    {
        var plugin = new NodeAffinity();
        var nodes = new[] { Node("n") };
        var pod = Pod("p");
        var snapshot = new Snapshot(nodes, new NamespaceLabels());
        Assert.Equal(StatusCode.Skip, plugin.PreFilter(new CycleState(), pod, snapshot).Code);
        Assert.Equal(StatusCode.Skip, plugin.PreScore(new CycleState(), pod, snapshot, nodes).Code);
    }

    [Fact]
    public void ImageLocality_PrefersTheNodeWithTheBiggerImageSpreadByHowManyHaveIt()
    {
        const long mb = 1024 * 1024;
        var plugin = new ImageLocality();
        var nodes = new[]
        {
            Node("has", images: $$"""[{"names":["app:1"],"sizeBytes":{{500 * mb}}}]"""),
            Node("none"),
        };
        var pod = Pod("p");
        var state = new CycleState();
        plugin.PreScore(state, pod, new Snapshot(nodes, new NamespaceLabels()), nodes);

        // 500 MiB on 1 of 2 nodes counts 250 MiB: 100 × (250 − 23) / (1000 − 23) = 23.
        Assert.Equal([23, 0], plugin.ScoreAll(state, pod, nodes));
    }

    [Fact]
    public void ImageLocality_WhenNoNodeHasThePodsImages_SkipsScoring()
    {
        var plugin = new ImageLocality();
        var nodes = new[] { Node("a"), Node("b", images: """[{"names":["other:1"],"sizeBytes":104857600}]""") };

        var status = plugin.PreScore(new CycleState(), Pod("p"), new Snapshot(nodes, new NamespaceLabels()), nodes);

        Assert.Equal(StatusCode.Skip, status.Code);
    }
}

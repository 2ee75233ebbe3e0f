using System.Text.Json.Nodes;
using Berth.Core.Selectors;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Tests;

/// <summary>The index of placed pods by label that InterPodAffinity looks candidates up in.</summary>
public sealed class PlacedPodsTests
{
    [Fact]
    public void Selectable_FindsThePodsWithTheAnchorLabelOnce_AndNothingForASelectorWithoutOne()
    {
        var index = new PlacedPods();
        index.Add(Pod("web-1", """{"app":"web"}"""), "n1");
        index.Add(Pod("db-1", """{"app":"db"}"""), "n2");
        index.Add(Pod("cache-1", """{"app":"cache"}"""), "n2");

        Assert.Equal(["web-1"], Names(index.Selectable(Selector("""{"matchLabels":{"app":"web"}}"""))));
        Assert.Equal(["cache-1", "db-1"], Names(index.Selectable(Selector("""{"matchExpressions":[{"key":"app","operator":"In","values":["db","cache"]}]}"""))));
        Assert.Equal(["db-1"], Names(index.Selectable(Selector("""{"matchExpressions":[{"key":"app","operator":"In","values":["db","db"]}]}"""))));
        Assert.Null(index.Selectable(Selector("""{"matchExpressions":[{"key":"app","operator":"NotIn","values":["db"]}]}""")));
    }

    [Fact]
    public void Remove_TakesThePodOutOfEveryIndex()
    {
        var guard = Pod("guard", """{"app":"web"}""", """{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[{"labelSelector":{"matchLabels":{"app":"web"}},"topologyKey":"kubernetes.io/hostname"}]}}""");
        var index = new PlacedPods();
        index.Add(guard, "n1");
        var web = Pod("web-2", """{"app":"web"}""");
        Assert.Equal(["guard"], Names(index.WithAntiAffinityFor(web)));

        index.Remove(guard);

        Assert.Empty(index.WithAntiAffinityFor(web));
        Assert.Empty(index.Selectable(Selector("""{"matchLabels":{"app":"web"}}"""))!);
    }

    private static LabelSelector Selector(string json) => LabelSelector.FromJson(JsonNode.Parse(json)!.AsObject())!;

    private static string[] Names(IEnumerable<PlacedPods.Placed>? placed) => [.. placed!.Select(p => p.Pod.Name).Order(StringComparer.Ordinal)];

    private static PodInfo Pod(string name, string labels, string? affinity = null)
    {
        var spec = new JsonObject();
        if (affinity is not null)
            spec["affinity"] = JsonNode.Parse(affinity);
        return new PodInfo(new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default", ["uid"] = name, ["labels"] = JsonNode.Parse(labels) },
            ["spec"] = spec,
        }, keepSpec: false);
    }
}

using System.Text.Json.Nodes;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Tests;

/// <summary>The nominations preemption makes: what the watch may and may not undo, and what a later preemption takes back.</summary>
public sealed class NominationsTests
{
    [Fact]
    public void ANominationJustMade_OutlivesAStatusThatIsOnlyBehindIt()
    {
        var nominations = new Nominations();
        var pod = Objects.Pod("waiting");

        nominations.Set(pod, "n1");
        nominations.Set(pod);

        Assert.Equal("n1", nominations.NodeOf(pod.Uid));
    }

    [Fact]
    public void ANominationTheWatchHasShown_EndsWhenAStatusNoLongerHasIt()
    {
        var nominations = new Nominations();
        var pod = Objects.Pod("waiting");

        nominations.Set(pod, "n1");
        nominations.Set(Nominated(pod, "n1"));
        Assert.Equal("n1", nominations.NodeOf(pod.Uid));
        nominations.Set(pod);

        Assert.Null(nominations.NodeOf(pod.Uid));
    }

    [Fact]
    public void TakeBack_EndsOnlyTheNominationsToThatNodeOfLowerPriority()
    {
        var nominations = new Nominations();
        var low = Objects.Pod("low", priority: 10);
        var lowElsewhere = Objects.Pod("low-elsewhere", priority: 10);
        var equal = Objects.Pod("equal", priority: 100);
        var preemptor = Objects.Pod("preemptor", priority: 100);
        nominations.Set(low, "n1");
        nominations.Set(lowElsewhere, "n2");
        nominations.Set(equal, "n1");

        var displaced = nominations.TakeBack(preemptor, "n1");

        Assert.Equal(["low"], displaced.Select(p => p.Name));
        Assert.Null(nominations.NodeOf(low.Uid));
        Assert.Equal("n2", nominations.NodeOf(lowElsewhere.Uid));
        Assert.Equal("n1", nominations.NodeOf(equal.Uid));
    }

    private static PodInfo Nominated(PodInfo pod, string node) => new(new JsonObject
    {
        ["metadata"] = new JsonObject { ["name"] = pod.Name, ["namespace"] = pod.Namespace, ["uid"] = pod.Uid },
        ["status"] = new JsonObject { ["nominatedNodeName"] = node },
    });
}

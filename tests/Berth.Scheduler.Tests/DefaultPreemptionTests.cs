using System.Text.Json.Nodes;
using Berth.Scheduler.Configuration;
using Berth.Scheduler.Framework;
using Berth.Scheduler.Plugins.DefaultPreemption;
using static Berth.Scheduler.Tests.Objects;

namespace Berth.Scheduler.Tests;

/// <summary>Which node preemption picks and which pods it evicts, against the default profile's filters.</summary>
public sealed class DefaultPreemptionTests
{
    private static readonly Profile Profile = SchedulerConfiguration.Default.Profiles(new PluginContext(null, new DisruptionBudgets(), new OwnerSelectors()))[0];

    [Fact]
    public void Preemption_EvictsOnlyWhatIsNeeded_FromTheNodeWithTheLowestPriorityVictims()
    {
        var nodes = new[]
        {
            Node("a").With(Pod("a-mid", cpu: "2", priority: 50), Pod("a-low", cpu: "2", priority: 10)),
            Node("b").With(Pod("b-mid1", cpu: "2", priority: 50), Pod("b-mid2", cpu: "2", priority: 50)),
        };
        var (result, _) = Preempt(nodes, Pod("urgent", cpu: "2", priority: 100));

        Assert.True(result.Status.IsSuccess);
        Assert.Equal("a", result.NominatedNode);
        Assert.Equal(["a-low"], result.Victims.Select(v => v.Name));
    }

    [Fact]
    public void Preemption_SparesPodsABudgetProtects_WhenAnotherNodeNeedsNoViolation()
    {
        var budgets = new DisruptionBudgets();
        budgets.Set(JsonNode.Parse("""{"metadata":{"name":"db","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"db"}}},"status":{"disruptionsAllowed":0}}""")!.AsObject());
        var nodes = new[]
        {
            Node("a").With(Pod("a-db", cpu: "4", priority: 1, labels: """{"app":"db"}""")),
            Node("b").With(Pod("b-web", cpu: "4", priority: 5, labels: """{"app":"web"}""")),
        };
        var (result, _) = Preempt(nodes, Pod("urgent", cpu: "2", priority: 100), budgets);

        Assert.Equal("b", result.NominatedNode);
        Assert.Equal(["b-web"], result.Victims.Select(v => v.Name));
    }

    [Fact]
    public void Preemption_ExplainsEachNodeWhenNothingCanBeDone()
    {
        var nodes = new[]
        {
            Node("equal").With(Pod("peer", cpu: "4", priority: 100)),
            Node("small", cpu: "1").With(Pod("tiny", cpu: "500m", priority: 1)),
            Node("tainted", taints: """[{"key":"dedicated","value":"gpu","effect":"NoSchedule"}]"""),
        };
        var (result, failures) = Preempt(nodes, Pod("urgent", cpu: "2", priority: 100));

        Assert.False(result.Status.IsSuccess);
        Assert.Equal("preemption: 0/3 nodes are available: 1 Insufficient cpu, 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
            result.Status.Message);
        Assert.Equal(3, failures.Count);
    }

    [Fact]
    public void Preemption_IsRefusedToAPodWithPolicyNever()
    {
        var nodes = new[] { Node("a").With(Pod("low", cpu: "4", priority: 1)) };
        var (result, _) = Preempt(nodes, Pod("polite", cpu: "2", priority: 100, spec: """{"preemptionPolicy":"Never"}"""));

        Assert.Equal("preemption: not eligible due to preemptionPolicy=Never.", result.Status.Message);
    }

    [Fact]
    public void Preemption_DoesNotCountRoomPromisedToAHigherNominatedPod()
    {
        var nodes = new[]
        {
            Node("promised").With(Pod("low", cpu: "3", priority: 10, placed: true)),
            Node("busy").With(Pod("important", cpu: "3", priority: 1000, placed: true)),
        };
        var nominations = new Nominations();
        nominations.Set(Pod("high", cpu: "3", priority: 900), "promised");

        var outcome = new Cycle(Profile).Run(new CycleState(), Pod("mid", cpu: "3", priority: 500), new Snapshot(nodes, new NamespaceLabels()), nominations);

        Assert.Null(outcome.Preemption?.NominatedNode);
        Assert.Equal("0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 1 Insufficient cpu, 1 No preemption victims found for incoming pod.",
            outcome.Message);
    }

    [Fact]
    public void Preemption_FreesAReadWriteOncePodClaim_FromTheLowerPriorityPodThatHoldsIt()
    {
        var claims = new VolumeClaims();
        claims.SetClaim(JsonNode.Parse("""
            {"metadata":{"namespace":"default","name":"solo"},"spec":{"accessModes":["ReadWriteOncePod"],"volumeName":"pv"},"status":{"phase":"Bound"}}
            """)!.AsObject());
        claims.SetVolume(JsonNode.Parse("""{"metadata":{"name":"pv"},"spec":{}}""")!.AsObject());
        var profile = SchedulerConfiguration.Default.Profiles(new PluginContext(null, new DisruptionBudgets(), new OwnerSelectors(), claims))[0];
        const string Solo = """{"volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"solo"}}]}""";
        var nodes = new[] { Node("a").With(Pod("holder", cpu: "1", priority: 10, spec: Solo, placed: true)), Node("b") };

        var (result, failures) = Preempt(nodes, Pod("urgent", cpu: "1", priority: 100, spec: Solo), profile: profile);

        Assert.Equal(["a", "b"], failures.Keys.Order());
        Assert.Equal("a", result.NominatedNode);
        Assert.Equal(["holder"], result.Victims.Select(v => v.Name));
    }

    /// <summary>Filters every node as a cycle would, then runs preemption on the failures.</summary>
    private static (PostFilterResult Result, Dictionary<string, Status> Failures) Preempt(NodeInfo[] nodes, PodInfo pod, DisruptionBudgets? budgets = null, Profile? profile = null)
    {
        profile ??= Profile;
        var snapshot = new Snapshot(nodes, new NamespaceLabels());
        var state = new CycleState();
        Assert.True(profile.RunPreFilters(state, pod, snapshot).IsSuccess);
        var failures = nodes.Select(n => (n.Name, Status: profile.RunFilters(state, pod, n))).Where(f => !f.Status.IsSuccess)
            .ToDictionary(f => f.Name, f => f.Status, StringComparer.Ordinal);
        var preemption = new DefaultPreemption(budgets ?? new DisruptionBudgets());
        return (preemption.PostFilter(state, pod, snapshot, failures, profile), failures);
    }
}

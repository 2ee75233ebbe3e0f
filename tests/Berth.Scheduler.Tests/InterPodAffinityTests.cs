using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Scheduler.Configuration;
using Berth.Scheduler.Framework;
using Berth.Scheduler.Plugins.InterPodAffinity;

namespace Berth.Scheduler.Tests;

/// <summary>
/// InterPodAffinity on clusters built in memory: four nodes, <c>a1</c> and <c>a2</c> in zone a, <c>b1</c> in zone b and
/// <c>x1</c> with no zone, each with its hostname label; pods placed on them as the cases say.
/// </summary>
public sealed class InterPodAffinityTests
{
    private const string Zone = "topology.kubernetes.io/zone";
    private const string Hostname = "kubernetes.io/hostname";
    private const string Affinity = InterPodAffinity.ErrReasonAffinityRulesNotMatch;
    private const string AntiAffinity = InterPodAffinity.ErrReasonAntiAffinityRulesNotMatch;
    private const string Existing = InterPodAffinity.ErrReasonExistingAntiAffinityRulesNotMatch;

    private static readonly (string Name, string? Zone)[] Nodes = [("a1", "a"), ("a2", "a"), ("b1", "b"), ("x1", null)];

    [Fact]
    public void RequiredAffinity_FitsOnlyTheZoneOfAPodItSelects()
    {
        var snapshot = Cluster(Placed("db", "a1", App("db")), Placed("web", "b1", App("web")));
        var pod = Incoming(Rules(Required("podAffinity", Term("db"))));

        var verdicts = Filter(pod, snapshot);

        Assert.Equal(["a1: ", "a2: ", "b1: " + Affinity, "x1: " + Affinity], Describe(verdicts));
        Assert.Equal(StatusCode.UnschedulableAndUnresolvable, verdicts["b1"].Code);
    }

    [Fact]
    public void RequiredAffinity_WithSeveralTerms_NeedsOnePodTheyAllSelect()
    {
        var snapshot = Cluster(Placed("db", "a1", App("db")), Placed("primary", "b1", """{"role":"primary"}"""),
            Placed("db-primary", "a2", """{"app":"db","role":"primary"}"""));
        var pod = Incoming(Rules(Required("podAffinity", Term("db"), Term("""{"role":"primary"}""", Hostname))));

        Assert.Equal(["a1: " + Affinity, "a2: ", "b1: " + Affinity, "x1: " + Affinity], Describe(Filter(pod, snapshot)));
    }

    [Theory]
    [InlineData("db", "a1: |a2: |b1: |x1: " + Affinity)]
    [InlineData("web", "a1: " + Affinity + "|a2: " + Affinity + "|b1: " + Affinity + "|x1: " + Affinity)]
    public void RequiredAffinity_FirstPodOfAGroup_FitsAnyNodeWithTheTopologyLabelIfItSelectsItself(string app, string expected)
    {
        var snapshot = Cluster(Placed("other", "a1", App("other")));
        var pod = Incoming(Rules(Required("podAffinity", Term("db"))), App(app));

        Assert.Equal(expected.Split('|'), Describe(Filter(pod, snapshot)));
    }

    [Fact]
    public void RequiredAntiAffinity_KeepsThePodOutOfTheZonesOfPodsItSelects()
    {
        var snapshot = Cluster(Placed("web-1", "a1", App("web")), Placed("db", "b1", App("db")));
        var pod = Incoming(Rules(Required("podAntiAffinity", Term("web"))), App("web"));

        var verdicts = Filter(pod, snapshot);

        Assert.Equal(["a1: " + AntiAffinity, "a2: " + AntiAffinity, "b1: ", "x1: "], Describe(verdicts));
        Assert.Equal(StatusCode.Unschedulable, verdicts["a2"].Code);
    }

    [Fact]
    public void ExistingPodsAntiAffinity_KeepsAPodTheySelectOutOfTheirZone()
    {
        var snapshot = Cluster(
            Placed("guard", "b1", App("guard"), Rules(Required("podAntiAffinity", Term("web")))),
            Placed("host-guard", "a1", App("guard"), Rules(Required("podAntiAffinity", Term("web", Hostname)))));

        var verdicts = Filter(Incoming(null, App("web")), snapshot);

        Assert.Equal(["a1: " + Existing, "a2: ", "b1: " + Existing, "x1: "], Describe(verdicts));
        Assert.Equal(StatusCode.Unschedulable, verdicts["b1"].Code);
    }

    [Fact]
    public void RequiredAntiAffinity_WithoutAnEqualityRequirement_LooksAtEveryPlacedPod()
    {
        var snapshot = Cluster(Placed("front", "a1", """{"tier":"front"}"""), Placed("plain", "b1", App("db")));
        var anyTier = """{"labelSelector":{"matchExpressions":[{"key":"tier","operator":"Exists"}]},"topologyKey":"ZONE"}""".Replace("ZONE", Zone, StringComparison.Ordinal);
        var pod = Incoming(Rules(Required("podAntiAffinity", anyTier)));

        Assert.Equal(["a1: " + AntiAffinity, "a2: " + AntiAffinity, "b1: ", "x1: "], Describe(Filter(pod, snapshot)));
    }

    [Fact]
    public void ExistingPodsAntiAffinity_TermsOnDifferentLabelsOrOnNone_AreCountedOncePerTerm()
    {
        var anyTier = """{"labelSelector":{"matchExpressions":[{"key":"tier","operator":"Exists"}]},"topologyKey":"HOST"}""".Replace("HOST", Hostname, StringComparison.Ordinal);
        var guard = Placed("guard", "a1", App("guard"), Rules(Required("podAntiAffinity", Term("web"), Term("""{"tier":"front"}""", Hostname), anyTier)));
        var snapshot = Indexed(Cluster(guard, Placed("watcher", "b1", App("watcher"), Rules(Required("podAntiAffinity", anyTier)))));
        var pod = Incoming(null, """{"app":"web","tier":"front"}""");
        var plugin = new InterPodAffinity();
        var state = new CycleState();
        Assert.Equal(StatusCode.Success, plugin.PreFilter(state, pod, snapshot).Code);

        // Counted twice, the guard would still be counted once on a1 without it.
        var withoutGuard = snapshot.Nodes[0].Clone();
        withoutGuard.RemovePod(guard.Uid);

        Assert.Equal(["a1: " + Existing, "a2: " + Existing, "b1: " + Existing, "x1: "], snapshot.Nodes.Select(n => $"{n.Name}: {plugin.Filter(state, pod, n).Message}"));
        Assert.True(plugin.Filter(state, pod, withoutGuard).IsSuccess);
    }

    [Fact]
    public void Filter_ChecksAffinityThenAntiAffinityThenExistingPodsAntiAffinity()
    {
        var snapshot = Cluster(
            Placed("db", "a1", App("db")),
            Placed("web", "a2", App("web"), Rules(Required("podAntiAffinity", Term("web")))),
            Placed("cache", "b1", App("cache")));
        var dbOrCache = """{"labelSelector":{"matchExpressions":[{"key":"app","operator":"In","values":["db","cache"]}]},"topologyKey":"ZONE"}""".Replace("ZONE", Zone, StringComparison.Ordinal);
        var pod = Incoming(Rules(Required("podAffinity", dbOrCache), Required("podAntiAffinity", Term("db", Hostname))), App("web"));

        // a1 has the db (anti-affinity by host) and is in the placed web's zone; a2 is only in that zone; x1 has no zone.
        Assert.Equal(["a1: " + AntiAffinity, "a2: " + Existing, "b1: ", "x1: " + Affinity], Describe(Filter(pod, snapshot)));
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("\"namespaces\":[\"team-x\"],", true)]
    [InlineData("\"namespaces\":[\"team-y\"],", false)]
    [InlineData("\"namespaceSelector\":{\"matchLabels\":{\"team\":\"x\"}},", true)]
    [InlineData("\"namespaceSelector\":{\"matchLabels\":{\"team\":\"y\"}},", false)]
    [InlineData("\"namespaceSelector\":{},", true)]
    [InlineData("\"namespaces\":[\"team-y\"],\"namespaceSelector\":{\"matchLabels\":{\"team\":\"x\"}},", true)]
    public void RequiredAffinity_LooksInTheTermsNamespaces(string namespaces, bool selectsTheDb)
    {
        var labels = new NamespaceLabels();
        labels.Set("team-x", new Dictionary<string, string>(StringComparer.Ordinal) { ["team"] = "x" });
        var snapshot = Cluster(labels, Placed("db", "a1", App("db"), ns: "team-x"));
        var pod = Incoming(Rules(Required("podAffinity", "{" + namespaces + Term("db")[1..])));

        var expected = selectsTheDb ? "a1: |a2: |b1: " + Affinity + "|x1: " + Affinity : "a1: " + Affinity + "|a2: " + Affinity + "|b1: " + Affinity + "|x1: " + Affinity;
        Assert.Equal(expected.Split('|'), Describe(Filter(pod, snapshot)));
    }

    [Theory]
    [InlineData("x", true)]
    [InlineData("y", false)]
    public void ExistingPodsAntiAffinity_NamespaceSelector_ReadsTheIncomingPodsNamespaceLabels(string team, bool kept)
    {
        var labels = new NamespaceLabels();
        labels.Set("default", new Dictionary<string, string>(StringComparer.Ordinal) { ["team"] = team });
        var term = "{\"namespaceSelector\":{\"matchLabels\":{\"team\":\"x\"}}," + Term("web")[1..];
        var snapshot = Cluster(labels, Placed("guard", "a1", App("guard"), Rules(Required("podAntiAffinity", term)), ns: "guards"));
        var plugin = new InterPodAffinity();
        var state = new CycleState();
        var web = Incoming(null, App("web"));

        var preFilter = plugin.PreFilter(state, web, snapshot);

        Assert.Equal(kept ? StatusCode.Success : StatusCode.Skip, preFilter.Code);
        if (kept)
            Assert.Equal(["a1: " + Existing, "a2: " + Existing, "b1: ", "x1: "], snapshot.Nodes.Select(n => $"{n.Name}: {plugin.Filter(state, web, n).Message}"));
    }

    [Fact]
    public void PreFilter_SkipsFilterWhenThePodHasNoRequiredTermsAndNoPlacedPodsAntiAffinitySelectsIt()
    {
        var snapshot = Cluster(
            Placed("guard", "a1", App("guard"), Rules(Required("podAntiAffinity", Term("db")))),
            Placed("friend", "b1", App("friend"), Rules(Required("podAffinity", Term("web")))));
        var preferring = Incoming(Rules(Preferred("podAffinity", 10, Term("db"))), App("web"));

        Assert.Equal(StatusCode.Skip, new InterPodAffinity().PreFilter(new CycleState(), preferring, snapshot).Code);
        Assert.Equal(StatusCode.Skip, new InterPodAffinity().PreFilter(new CycleState(), Incoming(null, App("web")), snapshot).Code);
        Assert.Equal(StatusCode.Success, new InterPodAffinity().PreFilter(new CycleState(), Incoming(null, App("db")), snapshot).Code);
    }

    [Fact]
    public void Filter_OfANodeWithPodsNominatedToIt_CountsThemToo()
    {
        var snapshot = Cluster();
        var pod = Incoming(Rules(Required("podAntiAffinity", Term("web"))), App("web"));
        var plugin = new InterPodAffinity();
        var state = new CycleState();
        Assert.Equal(StatusCode.Success, plugin.PreFilter(state, pod, snapshot).Code);

        var withNominated = snapshot.Nodes[0].Clone();
        withNominated.AddPod(Placed("web-0", "a1", App("web")));

        Assert.Equal(AntiAffinity, plugin.Filter(state, pod, withNominated).Message);
        Assert.True(plugin.Filter(state, pod, snapshot.Nodes[0]).IsSuccess);
    }

    [Fact]
    public void Score_ThePodsPreferredTerms_AddTheirWeightsPerZone()
    {
        var snapshot = Cluster(Placed("db", "a1", App("db")), Placed("cache", "b1", App("cache")));
        var pod = Incoming(Rules(Preferred("podAffinity", 80, Term("db")), Preferred("podAntiAffinity", 20, Term("cache"))));

        // Raw sums: a1 80, a2 80, b1 -20, x1 0; scaled from the lowest to the highest.
        Assert.Equal([100, 100, 0, 20], Score(new InterPodAffinity(), pod, snapshot));
    }

    [Fact]
    public void Score_PlacedPodsTermsThatSelectThePod_CountTheirRequiredAffinityByHardPodAffinityWeight()
    {
        var snapshot = Cluster(
            Placed("friend", "b1", App("friend"), Rules(Required("podAffinity", Term("web")))),
            Placed("fan", "a1", App("fan"), Rules(Preferred("podAffinity", 3, Term("web")))),
            Placed("rival", "x1", App("rival"), Rules(Preferred("podAntiAffinity", 50, Term("web", Hostname)))));
        var web = Incoming(null, App("web"));

        // Raw sums with weight 5: a1 3, a2 3, b1 5, x1 -50; with weight 0: a1 3, a2 3, b1 0, x1 -50.
        Assert.Equal([96, 96, 100, 0], Score(new InterPodAffinity(hardPodAffinityWeight: 5), web, snapshot));
        Assert.Equal([100, 100, 94, 0], Score(new InterPodAffinity(hardPodAffinityWeight: 0), web, snapshot));
    }

    [Fact]
    public void PreScore_SkipsWhenNoTermAddsAnything()
    {
        var snapshot = Cluster(
            Placed("friend", "b1", App("friend"), Rules(Required("podAffinity", Term("db")))),
            Placed("guard", "a1", App("guard"), Rules(Required("podAntiAffinity", Term("web")))));
        var preferring = Incoming(Rules(Preferred("podAffinity", 10, Term("cache"))), App("web"));
        var plugin = new InterPodAffinity();

        Assert.Equal(StatusCode.Skip, plugin.PreScore(new CycleState(), preferring, snapshot, snapshot.Nodes).Code);
        Assert.Equal(StatusCode.Skip, plugin.PreScore(new CycleState(), Incoming(null, App("web")), snapshot, snapshot.Nodes).Code);
        Assert.Equal(StatusCode.Success, plugin.PreScore(new CycleState(), Incoming(null, App("db")), snapshot, snapshot.Nodes).Code);
    }

    [Fact]
    public void IgnorePreferredTermsOfExistingPods_SkipsScoringAPodWithoutPreferredTermsOfItsOwn()
    {
        var snapshot = Cluster(Placed("friend", "b1", App("friend"), Rules(Required("podAffinity", Term("db")))));
        var plugin = (InterPodAffinity)PluginRegistry.Create("InterPodAffinity", JsonNode.Parse("""{"ignorePreferredTermsOfExistingPods":true}""")!.AsObject(),
            new PluginContext(null, new DisruptionBudgets(), new OwnerSelectors()));

        Assert.Equal(StatusCode.Skip, plugin.PreScore(new CycleState(), Incoming(null, App("db")), snapshot, snapshot.Nodes).Code);
        var preferring = Incoming(Rules(Preferred("podAffinity", 10, Term("friend"))), App("db"));
        Assert.Equal(StatusCode.Success, plugin.PreScore(new CycleState(), preferring, snapshot, snapshot.Nodes).Code);
    }

    [Fact]
    public void Normalize_EqualSums_ScoreZero()
    {
        long[] scores = [-7, -7, -7];
        new InterPodAffinity().Normalize(new CycleState(), Incoming(null), [], scores);
        Assert.Equal([0, 0, 0], scores);
    }

    [Fact]
    public void Registry_HasInterPodAffinityByDefaultWithWeightTwoBetweenPodTopologySpreadAndDefaultPreemption()
    {
        var names = PluginRegistry.Defaults.Select(d => d.Name).ToList();
        Assert.Equal(names.IndexOf("PodTopologySpread") + 1, names.IndexOf("InterPodAffinity"));
        Assert.Equal(names.IndexOf("InterPodAffinity") + 1, names.IndexOf("DefaultPreemption"));
        Assert.Contains(("InterPodAffinity", 2), PluginRegistry.Defaults);

        var profile = SchedulerConfiguration.Default.Profiles(new PluginContext(null, new DisruptionBudgets(), new OwnerSelectors()))[0];
        Assert.Contains(profile.PreFilters, p => p is InterPodAffinity);
        Assert.Contains(profile.Filters, p => p is InterPodAffinity);
        Assert.Contains(profile.PreScorers, p => p is InterPodAffinity);
        Assert.Contains(profile.Scorers, s => s.Plugin is InterPodAffinity && s.Weight == 2);
    }

    [Fact]
    public void Configuration_RejectsAHardPodAffinityWeightAbove100()
    {
        var config = SchedulerConfiguration.Parse("""
            apiVersion: kubescheduler.config.k8s.io/v1
            kind: KubeSchedulerConfiguration
            profiles:
            - schedulerName: default-scheduler
              pluginConfig:
              - name: InterPodAffinity
                args:
                  hardPodAffinityWeight: 101
            """);

        var error = Assert.Throws<SchedulerConfigurationException>(config.Validate);
        Assert.Equal("InterPodAffinity: hardPodAffinityWeight: Invalid value: 101: not in valid range [0, 100]", error.Message);
    }

    private static string App(string app) => "{\"app\":\"" + app + "\"}";

    /// <summary>A pod affinity term selecting <paramref name="labels"/> (an app name or a matchLabels object) by <paramref name="key"/>.</summary>
    private static string Term(string labels, string key = Zone) =>
        "{\"labelSelector\":{\"matchLabels\":" + (labels.StartsWith('{') ? labels : App(labels)) + "},\"topologyKey\":\"" + key + "\"}";

    private static string Required(string kind, params string[] terms) =>
        "\"" + kind + "\":{\"requiredDuringSchedulingIgnoredDuringExecution\":[" + string.Join(',', terms) + "]}";

    private static string Preferred(string kind, int weight, string term) =>
        "\"" + kind + "\":{\"preferredDuringSchedulingIgnoredDuringExecution\":[{\"weight\":" + weight.ToString(CultureInfo.InvariantCulture) + ",\"podAffinityTerm\":" + term + "}]}";

    /// <summary>A pod's <c>affinity</c> of the given parts (<see cref="Required"/>, <see cref="Preferred"/>).</summary>
    private static string Rules(params string[] parts) => "{" + string.Join(',', parts) + "}";

    private static IEnumerable<string> Describe(Dictionary<string, Status> verdicts) => verdicts.Select(v => $"{v.Key}: {v.Value.Message}");

    /// <summary>
    /// PreFilter (which must not skip), then Filter on every node: node name → verdict, in the nodes' order. The same
    /// verdicts whether the snapshot indexes its pods by label (as the cache's does) or not (as a what-if).
    /// </summary>
    private static Dictionary<string, Status> Filter(PodInfo pod, Snapshot snapshot)
    {
        var verdicts = FilterOnce(pod, snapshot);
        Assert.Equal(Describe(verdicts), Describe(FilterOnce(pod, Indexed(snapshot))));
        return verdicts;
    }

    private static Dictionary<string, Status> FilterOnce(PodInfo pod, Snapshot snapshot)
    {
        var plugin = new InterPodAffinity();
        var state = new CycleState();
        Assert.Equal(StatusCode.Success, plugin.PreFilter(state, pod, snapshot).Code);
        return snapshot.Nodes.ToDictionary(n => n.Name, n => plugin.Filter(state, pod, n), StringComparer.Ordinal);
    }

    /// <summary>PreScore (which must not skip), Score on every node, then Normalize, as a profile runs them; the same with pods indexed by label.</summary>
    private static long[] Score(InterPodAffinity plugin, PodInfo pod, Snapshot snapshot)
    {
        var scores = ScoreOnce(plugin, pod, snapshot);
        Assert.Equal(scores, ScoreOnce(plugin, pod, Indexed(snapshot)));
        return scores;
    }

    private static long[] ScoreOnce(InterPodAffinity plugin, PodInfo pod, Snapshot snapshot)
    {
        var state = new CycleState();
        Assert.Equal(StatusCode.Success, plugin.PreScore(state, pod, snapshot, snapshot.Nodes).Code);
        var scores = plugin.ScoreAll(state, pod, snapshot.Nodes);
        plugin.Normalize(state, pod, snapshot.Nodes, scores);
        return scores;
    }

    private static Snapshot Indexed(Snapshot snapshot) => new(snapshot.Nodes, snapshot.Namespaces, pods: PlacedPods.Of(snapshot.Nodes));

    private static Snapshot Cluster(params PodInfo[] pods) => Cluster(new NamespaceLabels(), pods);

    private static Snapshot Cluster(NamespaceLabels namespaces, params PodInfo[] pods)
    {
        var nodes = Nodes.Select(n =>
        {
            var labels = new JsonObject { [Hostname] = n.Name };
            if (n.Zone is not null)
                labels[Zone] = n.Zone;
            return new NodeInfo(new JsonObject { ["metadata"] = new JsonObject { ["name"] = n.Name, ["labels"] = labels } });
        }).ToList();
        foreach (var pod in pods)
            nodes.Single(n => n.Name == pod.NodeName).AddPod(pod);
        return new Snapshot(nodes, namespaces);
    }

    /// <summary>A pod on <paramref name="node"/>, kept as the scheduler keeps placed pods (without its spec).</summary>
    private static PodInfo Placed(string name, string node, string labels, string? affinity = null, string ns = "default") =>
        new(PodJson(name, ns, labels, affinity, node), keepSpec: false);

    /// <summary>The pod to place, in the default namespace.</summary>
    private static PodInfo Incoming(string? affinity, string labels = """{"app":"new"}""") => new(PodJson("new", "default", labels, affinity, null));

    private static JsonObject PodJson(string name, string ns, string labels, string? affinity, string? node)
    {
        var spec = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "registry.local/app:1" }) };
        if (affinity is not null)
            spec["affinity"] = JsonNode.Parse(affinity);
        if (node is not null)
            spec["nodeName"] = node;
        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["uid"] = $"{ns}-{name}", ["labels"] = JsonNode.Parse(labels) },
            ["spec"] = spec,
        };
    }
}

using System.Text.Json.Nodes;
using Berth.Scheduler.Configuration;
using Berth.Scheduler.Framework;
using Berth.Scheduler.Plugins.PodTopologySpread;

namespace Berth.Scheduler.Tests;

/// <summary>
/// PodTopologySpread against clusters written as tables, no API server. Nodes: <c>"n1 zone=a; n2 zone=b
/// taint=dedicated:NoSchedule"</c>, a name then labels (every node also has its <c>kubernetes.io/hostname</c>).
/// Pods already placed: <c>"n1 app=web; n1 app=web @other; n2 app=web terminating"</c>, a node then labels, with
/// <c>@ns</c> for a namespace other than <c>default</c>. Filter verdicts per node: <c>ok</c>, <c>spread</c> (skew
/// too large) or <c>label</c> (a topology key missing).
/// </summary>
public sealed class PodTopologySpreadTests
{
    private const string Web = """{"matchLabels":{"app":"web"}}""";

    public static TheoryData<string, string, string, string, string, string> FilterCases => new()
    {
        { "within maxSkew only the emptier zone fits", "n1 zone=a; n2 zone=b", "n1 app=web", "app=web", Spec(Spread(1, "zone")), "n1=spread n2=ok" },
        { "a larger maxSkew lets the fuller zone take one more", "n1 zone=a; n2 zone=b", "n1 app=web", "app=web", Spec(Spread(2, "zone")), "n1=ok n2=ok" },
        { "a node without the topology key cannot take the pod", "n1 zone=a; n2 zone=b; n3", "", "app=web", Spec(Spread(1, "zone")), "n1=ok n2=ok n3=label" },
        { "only selected, running pods of the namespace count", "n1 zone=a; n2 zone=b", "n1 app=web @other; n1 app=web terminating; n1 app=db", "app=web",
            Spec(Spread(1, "zone")), "n1=ok n2=ok" },
        { "a pod its selector does not select adds no skew", "n1 zone=a; n2 zone=b", "n1 app=web", "app=other", Spec(Spread(1, "zone")), "n1=ok n2=ok" },
        { "fewer domains than minDomains make the global minimum 0", "n1 zone=a; n2 zone=b", "n1 app=web; n2 app=web", "app=web",
            Spec(Spread(1, "zone", "\"minDomains\":3")), "n1=spread n2=spread" },
        { "as many domains as minDomains keep the real minimum", "n1 zone=a; n2 zone=b", "n1 app=web; n2 app=web", "app=web",
            Spec(Spread(1, "zone", "\"minDomains\":2")), "n1=ok n2=ok" },
        { "nodeAffinityPolicy Honor counts only the nodes the pod may go to", "n1 zone=a pool=x; n2 zone=b pool=x; n3 zone=c pool=y", "n1 app=web; n1 app=web; n2 app=web", "app=web",
            Spec(Spread(1, "zone"), "\"nodeSelector\":{\"pool\":\"x\"}"), "n1=spread n2=ok n3=ok" },
        { "nodeAffinityPolicy Ignore counts every node", "n1 zone=a pool=x; n2 zone=b pool=x; n3 zone=c pool=y", "n1 app=web; n1 app=web; n2 app=web", "app=web",
            Spec(Spread(1, "zone", "\"nodeAffinityPolicy\":\"Ignore\""), "\"nodeSelector\":{\"pool\":\"x\"}"), "n1=spread n2=spread n3=ok" },
        { "nodeTaintsPolicy Ignore counts tainted nodes", "n1 zone=a; n2 zone=b; n3 zone=c taint=dedicated:NoSchedule", "n1 app=web; n2 app=web", "app=web",
            Spec(Spread(1, "zone")), "n1=spread n2=spread n3=ok" },
        { "nodeTaintsPolicy Honor leaves out nodes with taints the pod does not tolerate", "n1 zone=a; n2 zone=b; n3 zone=c taint=dedicated:NoSchedule", "n1 app=web; n2 app=web", "app=web",
            Spec(Spread(1, "zone", "\"nodeTaintsPolicy\":\"Honor\"")), "n1=ok n2=ok n3=ok" },
        { "nodeTaintsPolicy Honor counts nodes whose taints the pod tolerates", "n1 zone=a; n2 zone=b; n3 zone=c taint=dedicated:NoSchedule", "n1 app=web; n2 app=web", "app=web",
            Spec(Spread(1, "zone", "\"nodeTaintsPolicy\":\"Honor\""), "\"tolerations\":[{\"key\":\"dedicated\",\"operator\":\"Exists\"}]"), "n1=spread n2=spread n3=ok" },
        { "matchLabelKeys count only the pods with the pod's own values", "n1 zone=a; n2 zone=b", "n1 app=web version=1; n1 app=web version=1; n2 app=web version=2", "app=web version=2",
            Spec(Spread(1, "zone", "\"matchLabelKeys\":[\"version\"]")), "n1=ok n2=spread" },
        { "without matchLabelKeys every version counts", "n1 zone=a; n2 zone=b", "n1 app=web version=1; n1 app=web version=1; n2 app=web version=2", "app=web version=2",
            Spec(Spread(1, "zone")), "n1=spread n2=ok" },
        { "no labelSelector selects no pod", "n1 zone=a; n2 zone=b", "n1 app=web; n1 app=web", "app=web", Spec(Spread(1, "zone", selector: null)), "n1=ok n2=ok" },
        { "an empty labelSelector selects every pod of the namespace", "n1 zone=a; n2 zone=b", "n1 app=db", "app=web", Spec(Spread(1, "zone", selector: "{}")), "n1=spread n2=ok" },
        { "more selected pods than nodes count the same", "n1 zone=a; n2 zone=b", "n1 app=web; n1 app=web; n1 app=web; n2 app=web", "app=web",
            Spec(Spread(1, "zone")), "n1=spread n2=ok" },
        { "every constraint must hold", "n1 zone=a; n2 zone=a; n3 zone=b", "n1 app=web; n3 app=web", "app=web",
            Spec(Spread(1, "zone") + "," + Spread(1, PodTopologySpread.Hostname)), "n1=spread n2=ok n3=spread" },
    };

    public static TheoryData<string, string, string, string, string> ScoreCases => new()
    {
        { "the emptier zone scores higher", "n1 zone=a; n2 zone=a; n3 zone=b", "n1 app=web; n1 app=web", Spec(Spread(1, "zone", action: "ScheduleAnyway")), "n1=0 n2=0 n3=100" },
        { "the hostname key counts each node's own pods", "n1; n2; n3", "n1 app=web; n1 app=web; n2 app=web",
            Spec(Spread(1, PodTopologySpread.Hostname, action: "ScheduleAnyway")), "n1=0 n2=33 n3=100" },
        { "a larger maxSkew waters the differences down", "n1; n2; n3", "n1 app=web; n1 app=web; n2 app=web",
            Spec(Spread(3, PodTopologySpread.Hostname, action: "ScheduleAnyway")), "n1=40 n2=60 n3=100" },
        { "nodes without the topology key score 0", "n1 zone=a; n2 zone=b; n3", "n1 app=web", Spec(Spread(1, "zone", action: "ScheduleAnyway")), "n1=0 n2=100 n3=0" },
        { "with no selected pods anywhere every node scores 100", "n1 zone=a; n2 zone=b", "n1 app=web @other; n2 app=db", Spec(Spread(1, "zone", action: "ScheduleAnyway")), "n1=100 n2=100" },
    };

    [Theory]
    [MemberData(nameof(FilterCases))]
    public void Filter(string name, string nodes, string pods, string labels, string spec, string expected)
    {
        foreach (var cluster in WalkedAndIndexed(Cluster(nodes, pods)))
        {
            var pod = Incoming(labels, spec);
            var plugin = new PodTopologySpread(new OwnerSelectors());
            var state = new CycleState();

            Assert.Equal(StatusCode.Success, plugin.PreFilter(state, pod, cluster).Code);

            Assert.Equal($"{name}{How(cluster)}: {expected}", $"{name}{How(cluster)}: {Verdicts(plugin, state, pod, cluster)}");
        }
    }

    [Theory]
    [MemberData(nameof(ScoreCases))]
    public void Score(string name, string nodes, string pods, string spec, string expected)
    {
        foreach (var cluster in WalkedAndIndexed(Cluster(nodes, pods)))
        {
            var scores = Scores(new PodTopologySpread(new OwnerSelectors()), cluster, Incoming("app=web", spec));

            Assert.Equal($"{name}{How(cluster)}: {expected}", $"{name}{How(cluster)}: {scores}");
        }
    }

    /// <summary>
    /// The cluster as a what-if sees it (each node counts its own pods) and as the cache's snapshot does (the pods
    /// indexed by label): the plugin must decide the same with both.
    /// </summary>
    private static Snapshot[] WalkedAndIndexed(Snapshot cluster) =>
        [cluster, new Snapshot(cluster.Nodes, cluster.Namespaces, pods: PlacedPods.Of(cluster.Nodes))];

    private static string How(Snapshot cluster) => cluster.Pods is null ? " (nodes walked)" : " (pods indexed)";

    [Fact]
    public void Filter_FailsWithUpstreamsReasonsAndCodes()
    {
        var cluster = Cluster("n1 zone=a; n2 zone=b; n3", "n1 app=web");
        var pod = Incoming("app=web", Spec(Spread(1, "zone")));
        var plugin = new PodTopologySpread(new OwnerSelectors());
        var state = new CycleState();
        plugin.PreFilter(state, pod, cluster);

        var verdicts = cluster.Nodes.Select(n => plugin.Filter(state, pod, n)).Select(s => (s.Code, s.Message)).ToList();

        Assert.Equal((StatusCode.Unschedulable, "node(s) didn't match pod topology spread constraints"), verdicts[0]);
        Assert.Equal((StatusCode.Success, ""), verdicts[1]);
        Assert.Equal((StatusCode.UnschedulableAndUnresolvable, "node(s) didn't match pod topology spread constraints (missing required label)"), verdicts[2]);
    }

    [Fact]
    public void PreFilter_WithOnlyScheduleAnywayConstraints_Skips()
    {
        var pod = Incoming("app=web", Spec(Spread(1, "zone", action: "ScheduleAnyway")));

        Assert.Equal(StatusCode.Skip, new PodTopologySpread(new OwnerSelectors()).PreFilter(new CycleState(), pod, Cluster("n1 zone=a", "")).Code);
    }

    [Fact]
    public void PreScore_WithOnlyDoNotScheduleConstraints_Skips()
    {
        var cluster = Cluster("n1 zone=a", "");
        var pod = Incoming("app=web", Spec(Spread(1, "zone")));

        Assert.Equal(StatusCode.Skip, new PodTopologySpread(new OwnerSelectors()).PreScore(new CycleState(), pod, cluster, cluster.Nodes).Code);
    }

    [Fact]
    public void SystemDefaults_SpreadAPodWithoutConstraints_ByTheSelectorOfItsService()
    {
        var owners = new OwnerSelectors();
        owners.Set(OwnerSelectors.Service, Object("default", "web", """{"app":"web"}"""));
        var cluster = Cluster("n1 topology.kubernetes.io/zone=a; n2 topology.kubernetes.io/zone=b", "n1 app=web; n1 app=web");

        // Hostname (maxSkew 3) and zone (maxSkew 5), each weighted ln(2 + 2): n1 2·1.39 + 2 + 2·1.39 + 4 = 12, n2 6.
        Assert.Equal("n1=50 n2=100", Scores(new PodTopologySpread(owners), cluster, Incoming("app=web", "{}")));
    }

    [Fact]
    public void SystemDefaults_StillSpreadByHostname_OverNodesWithoutAZone()
    {
        var owners = new OwnerSelectors();
        owners.Set(OwnerSelectors.Service, Object("default", "web", """{"app":"web"}"""));
        var cluster = Cluster("n1 topology.kubernetes.io/zone=a; n2 topology.kubernetes.io/zone=b; n3", "n1 app=web; n1 app=web");

        // Three hosts and three zone values ("" for n3), each weighted ln(3 + 2): n1 12, n2 6, n3 2 (no zone term).
        Assert.Equal("n1=16 n2=66 n3=100", Scores(new PodTopologySpread(owners), cluster, Incoming("app=web", "{}")));
    }

    [Fact]
    public void SystemDefaults_DoNotApply_ToAPodWithConstraintsOfItsOwn()
    {
        var owners = new OwnerSelectors();
        owners.Set(OwnerSelectors.Service, Object("default", "web", """{"app":"web"}"""));
        var cluster = Cluster("n1 zone=a; n2 zone=b", "n1 app=web");
        var pod = Incoming("app=web", Spec(Spread(1, "zone")));

        Assert.Equal(StatusCode.Skip, new PodTopologySpread(owners).PreScore(new CycleState(), pod, cluster, cluster.Nodes).Code);
    }

    [Fact]
    public void SystemDefaults_DoNotApply_WhenNothingSelectsThePod()
    {
        var owners = new OwnerSelectors();
        owners.Set(OwnerSelectors.Service, Object("default", "db", """{"app":"db"}"""));
        owners.Set(OwnerSelectors.Service, Object("other", "web", """{"app":"web"}"""));
        var cluster = Cluster("n1 zone=a; n2 zone=b", "n1 app=web");
        var plugin = new PodTopologySpread(owners);
        var pod = Incoming("app=web", "{}");

        Assert.Equal(StatusCode.Skip, plugin.PreFilter(new CycleState(), pod, cluster).Code);
        Assert.Equal(StatusCode.Skip, plugin.PreScore(new CycleState(), pod, cluster, cluster.Nodes).Code);
    }

    [Fact]
    public void ListDefaults_WithDoNotSchedule_FilterThePodsOfAReplicaSet()
    {
        var owners = new OwnerSelectors();
        owners.Set(OwnerSelectors.ReplicaSet, Object("default", "web-1", """{"matchLabels":{"app":"web"}}"""));
        var (constraints, system) = PluginArgs.SpreadDefaults((JsonObject)JsonNode.Parse(
            """{"defaultingType":"List","defaultConstraints":[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule"}]}""")!);
        var plugin = new PodTopologySpread(owners, constraints, system);
        var cluster = Cluster("n1 zone=a; n2 zone=b", "n1 app=web");
        var owned = Incoming("app=web", "{}", """[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-1","uid":"rs","controller":true}]""");
        var state = new CycleState();

        Assert.False(system);
        Assert.Equal(StatusCode.Success, plugin.PreFilter(state, owned, cluster).Code);
        Assert.Equal("n1=spread n2=ok", Verdicts(plugin, state, owned, cluster));
        Assert.Equal(StatusCode.Skip, plugin.PreFilter(new CycleState(), Incoming("app=web", "{}"), cluster).Code);
    }

    [Fact]
    public void OwnerSelectors_MergeTheServicesSelectingThePodWithItsControllersSelector()
    {
        var owners = new OwnerSelectors();
        owners.Set(OwnerSelectors.Service, Object("default", "web", """{"app":"web"}"""));
        owners.Set(OwnerSelectors.Service, Object("default", "db", """{"app":"db"}"""));
        owners.Set(OwnerSelectors.ReplicaSet, Object("default", "web-1", """{"matchLabels":{"hash":"1"},"matchExpressions":[{"key":"tier","operator":"Exists"}]}"""));
        var pod = Incoming("app=web hash=1 tier=front", "{}", """[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-1","uid":"rs","controller":true}]""");

        var selector = owners.For(pod)!;

        Assert.True(selector.Matches(LabelMap("app=web hash=1 tier=back")));
        Assert.False(selector.Matches(LabelMap("app=web hash=2 tier=front")));
        Assert.False(selector.Matches(LabelMap("app=db hash=1 tier=front")));
        Assert.False(selector.Matches(LabelMap("app=web hash=1")));
        owners.Remove(OwnerSelectors.ReplicaSet, Object("default", "web-1", "{}"));
        Assert.True(owners.For(pod)!.Matches(LabelMap("app=web")));
        Assert.Null(owners.For(Incoming("app=api", "{}")));
    }

    [Theory]
    [InlineData("""{"defaultConstraints":[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule"}]}""",
        "PodTopologySpread: defaultingType: Invalid value: \"System\": when .defaultConstraints are not empty")]
    [InlineData("""{"defaultingType":"Zonal"}""", "PodTopologySpread: defaultingType: Unsupported value: \"Zonal\": supported values: \"System\", \"List\"")]
    [InlineData("""{"defaultingType":"List","defaultConstraints":[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule","labelSelector":{}}]}""",
        "PodTopologySpread: defaultConstraints[0].labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod")]
    [InlineData("""{"defaultingType":"List","defaultConstraints":[{"maxSkew":0,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule"}]}""",
        "PodTopologySpread: defaultConstraints[0].maxSkew: Invalid value: 0: not in valid range (0, inf)")]
    [InlineData("""{"defaultingType":"List","defaultConstraints":[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule"},{"maxSkew":2,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule"}]}""",
        "PodTopologySpread: defaultConstraints[1]: Duplicate value: \"{zone, DoNotSchedule}\"")]
    public void Args_ThatUpstreamRejects_AreRejectedWithItsMessage(string args, string message)
    {
        var e = Assert.Throws<SchedulerConfigurationException>(() => PluginArgs.SpreadDefaults((JsonObject)JsonNode.Parse(args)!));

        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void DefaultProfile_RunsPodTopologySpreadAfterTheVolumePlugins_WithWeight2()
    {
        var profile = SchedulerConfiguration.Default.Profiles(new PluginContext(null, new DisruptionBudgets(), new OwnerSelectors())).Single();

        var filters = profile.Filters.Select(f => f.Name).ToList();
        Assert.Equal(filters.IndexOf("NodeResourcesFit") + 4, filters.IndexOf("PodTopologySpread"));
        Assert.Equal(filters.IndexOf("VolumeZone") + 1, filters.IndexOf("PodTopologySpread"));
        Assert.Contains(profile.PreFilters, p => p.Name == "PodTopologySpread");
        Assert.Contains(profile.PreScorers, p => p.Name == "PodTopologySpread");
        Assert.Equal(2, profile.Scorers.Single(s => s.Plugin.Name == "PodTopologySpread").Weight);
    }

    /// <summary>PreScore over every node as feasible, Score each, Normalize: <c>n1=0 n2=100</c>.</summary>
    private static string Scores(PodTopologySpread plugin, Snapshot cluster, PodInfo pod)
    {
        var state = new CycleState();
        Assert.Equal(StatusCode.Success, plugin.PreScore(state, pod, cluster, cluster.Nodes).Code);
        var scores = plugin.ScoreAll(state, pod, cluster.Nodes);
        plugin.Normalize(state, pod, cluster.Nodes, scores);
        return string.Join(" ", cluster.Nodes.Select((n, i) => $"{n.Name}={scores[i]}"));
    }

    private static string Verdicts(PodTopologySpread plugin, CycleState state, PodInfo pod, Snapshot cluster) =>
        string.Join(" ", cluster.Nodes.Select(n => plugin.Filter(state, pod, n) switch
        {
            { Code: StatusCode.Success } => $"{n.Name}=ok",
            { Code: StatusCode.Unschedulable, Message: PodTopologySpread.ErrReasonConstraintsNotMatch } => $"{n.Name}=spread",
            { Code: StatusCode.UnschedulableAndUnresolvable, Message: PodTopologySpread.ErrReasonNodeLabelNotMatch } => $"{n.Name}=label",
            var other => $"{n.Name}={other.Code}:{other.Message}",
        }));

    private static string Spread(int maxSkew, string key, string extra = "", string action = "DoNotSchedule", string? selector = Web) =>
        $$$"""{"maxSkew":{{{maxSkew}}},"topologyKey":"{{{key}}}","whenUnsatisfiable":"{{{action}}}"{{{(selector is null ? "" : ",\"labelSelector\":" + selector)}}}{{{(extra.Length > 0 ? "," + extra : "")}}}}""";

    private static string Spec(string constraints, string extra = "") =>
        $$$"""{"topologySpreadConstraints":[{{{constraints}}}]{{{(extra.Length > 0 ? "," + extra : "")}}}}""";

    private static Snapshot Cluster(string nodes, string pods)
    {
        var infos = new List<NodeInfo>();
        foreach (var (name, tokens) in Entries(nodes))
        {
            var labels = new JsonObject { [PodTopologySpread.Hostname] = name };
            var taints = new JsonArray();
            foreach (var token in tokens)
            {
                if (token.StartsWith("taint=", StringComparison.Ordinal) && token["taint=".Length..].Split(':') is [var key, var effect])
                    taints.Add(new JsonObject { ["key"] = key, ["effect"] = effect });
                else if (token.Split('=') is [var label, var value])
                    labels[label] = value;
            }
            infos.Add(new NodeInfo(new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels },
                ["spec"] = new JsonObject { ["taints"] = taints },
                ["status"] = new JsonObject { ["allocatable"] = new JsonObject { ["cpu"] = "4", ["memory"] = "8Gi", ["pods"] = "110" } },
            }));
        }
        var count = 0;
        foreach (var (node, tokens) in Entries(pods))
        {
            var metadata = new JsonObject
            {
                ["name"] = $"pod-{count}",
                ["uid"] = $"uid-{count++}",
                ["namespace"] = tokens.FirstOrDefault(t => t.StartsWith('@'))?[1..] ?? "default",
                ["labels"] = Labels(string.Join(' ', tokens.Where(t => t.Contains('=', StringComparison.Ordinal)))),
            };
            if (tokens.Contains("terminating"))
                metadata["deletionTimestamp"] = "2025-01-01T00:00:00Z";
            infos.Single(n => n.Name == node).AddPod(new PodInfo(new JsonObject { ["metadata"] = metadata, ["spec"] = new JsonObject { ["nodeName"] = node } }, keepSpec: false));
        }
        return new Snapshot(infos, new NamespaceLabels());
    }

    private static IEnumerable<(string Name, string[] Tokens)> Entries(string table) =>
        table.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(e => e.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(t => (t[0], t[1..]));

    private static PodInfo Incoming(string labels, string spec, string? owners = null)
    {
        var podSpec = JsonNode.Parse(spec)!.AsObject();
        podSpec["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "registry.local/app:1" });
        var metadata = new JsonObject { ["name"] = "incoming", ["namespace"] = "default", ["uid"] = "incoming", ["labels"] = Labels(labels) };
        if (owners is not null)
            metadata["ownerReferences"] = JsonNode.Parse(owners);
        return new PodInfo(new JsonObject { ["metadata"] = metadata, ["spec"] = podSpec });
    }

    private static JsonObject Labels(string labels) =>
        new([.. labels.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=')).Select(kv => KeyValuePair.Create(kv[0], (JsonNode?)kv[1]))]);

    private static Dictionary<string, string> LabelMap(string labels) =>
        Labels(labels).ToDictionary(l => l.Key, l => l.Value!.ToString(), StringComparer.Ordinal);

    private static JsonObject Object(string ns, string name, string selector) =>
        new()
        {
            ["metadata"] = new JsonObject { ["namespace"] = ns, ["name"] = name },
            ["spec"] = new JsonObject { ["selector"] = JsonNode.Parse(selector) },
        };
}
